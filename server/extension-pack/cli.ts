import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSigningKey } from './crx';
import { packExtension } from './pack';

export interface PackCommandOptions {
  key: string;
  out: string;
  source?: string;
  build?: boolean;
  projectRoot: string;
}

/** `loopdesk extension pack`: builds when asked (or when there is no build), packs, prints what an admin needs. */
export function packExtensionCommand(opts: PackCommandOptions): void {
  if (!existsSync(opts.key)) throw new Error(`no such key file: ${opts.key}`);
  const key = loadSigningKey(readFileSync(opts.key));
  if (process.platform !== 'win32' && (statSync(opts.key).mode & 0o077) !== 0) {
    console.error(`warning: ${opts.key} is readable by other users; keep the signing key private (chmod 600)`);
  }
  const sourceDir = resolve(opts.source ?? join(opts.projectRoot, '.output', 'chrome-mv3'));
  if (opts.build || (!opts.source && !existsSync(join(sourceDir, 'manifest.json')))) {
    console.error('building the extension (wxt build)…');
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    // Build output goes to stderr: stdout carries only the result below.
    const built = spawnSync(npx, ['wxt', 'build'], { cwd: opts.projectRoot, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) throw new Error(`wxt build failed (exit ${built.status ?? built.signal})`);
  }
  const result = packExtension({ sourceDir, outDir: resolve(opts.out), key });
  console.log(`extension id: ${result.extensionId}`);
  console.log(`version:      ${result.version}`);
  console.log(`package:      ${result.crxPath} (${result.size} bytes, sha256 ${result.sha256})`);
  console.log(`update URL:   <server>/extension/updates.xml — ExtensionSettings["${result.extensionId}"].update_url`);
}
