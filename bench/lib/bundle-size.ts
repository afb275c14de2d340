/**
 * What the built extension puts on a helpdesk tab, read from its manifest: each content script (and
 * its world) and the CSS it injects, with raw and gzip sizes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleFile {
  file: string;
  /** How the file reaches the tab. */
  role: string;
  bytes: number;
  gzipBytes: number;
}

interface Manifest {
  content_scripts?: { js?: string[]; css?: string[]; world?: string; run_at?: string }[];
  web_accessible_resources?: { resources: string[] }[];
}

export function contentScriptFiles(extensionDir: string): BundleFile[] {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8')) as Manifest;
  const files = new Map<string, string>();
  for (const script of manifest.content_scripts ?? []) {
    const when = script.run_at ?? 'document_idle';
    for (const js of script.js ?? []) files.set(js, `content script, ${script.world === 'MAIN' ? 'page (main) world' : 'isolated world'}, ${when}`);
    for (const css of script.css ?? []) files.set(css, `content-script CSS, ${when}`);
  }
  // Style sheets the content scripts fetch at run time into their shadow root (WXT `cssInjectionMode: 'ui'`).
  for (const entry of manifest.web_accessible_resources ?? []) {
    for (const resource of entry.resources) {
      if (resource.startsWith('content-scripts/') && resource.endsWith('.css') && !files.has(resource)) files.set(resource, "overlay CSS, loaded into the overlay's shadow root");
    }
  }
  return [...files.entries()].map(([file, role]) => {
    const bytes = readFileSync(join(extensionDir, file));
    return { file, role, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
}
