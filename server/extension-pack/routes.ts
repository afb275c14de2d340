/**
 * Self-hosted distribution: the update manifest Chrome and Edge poll for a force-installed extension
 * (`ExtensionSettings` … `update_url`) and the CRX it points at, from the directory
 * `loopdesk extension pack --out` writes (LOOPDESK_EXTENSION_DIR, by default <data dir>/extension);
 * also a Mozilla-signed `loopdesk-<version>.xpi` the admin puts there, for Firefox's `install_url`.
 * Both are read on every request, so a new pack is served without a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { CRX_FILE_PATTERN, RELEASE_FILE, XPI_FILE_PATTERN, type Release } from './pack';

export const CRX_CONTENT_TYPE = 'application/x-chrome-extension';
export const XPI_CONTENT_TYPE = 'application/x-xpinstall';

function xmlAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Chrome's update manifest (gupdate protocol 2.0) for one extension version. */
export function updateManifestXml(release: Pick<Release, 'extensionId' | 'version' | 'crx' | 'sha256'>, baseUrl: string): string {
  const codebase = `${baseUrl.replace(/\/+$/, '')}/extension/${release.crx}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<gupdate xmlns="http://www.google.com/update2/response" protocol="2.0">',
    `  <app appid="${xmlAttribute(release.extensionId)}">`,
    `    <updatecheck codebase="${xmlAttribute(codebase)}" version="${xmlAttribute(release.version)}" hash_sha256="${xmlAttribute(release.sha256)}" />`,
    '  </app>',
    '</gupdate>',
    '',
  ].join('\n');
}

async function readRelease(dir: string): Promise<Release | null> {
  try {
    return JSON.parse(await readFile(join(dir, RELEASE_FILE), 'utf8')) as Release;
  } catch {
    return null;
  }
}

export interface ExtensionRoutesOptions {
  /** Where the packed CRX and release.json are. */
  dir: string;
  /**
   * The server's public URL for the CRX links (LOOPDESK_PUBLIC_URL), e.g. behind a TLS proxy;
   * absent: the origin the request came to.
   */
  publicUrl?: string;
}

export function mountExtensionDistribution(app: Hono, options: ExtensionRoutesOptions): void {
  const notPacked = `no extension package in ${options.dir}: run \`loopdesk extension pack --key <org key.pem>\``;

  app.get('/extension/updates.xml', async (c) => {
    const release = await readRelease(options.dir);
    if (!release) return c.json({ error: notPacked }, 404);
    const baseUrl = options.publicUrl ?? new URL(c.req.url).origin;
    return c.body(updateManifestXml(release, baseUrl), 200, {
      'content-type': 'application/xml; charset=utf-8',
      // Browsers poll every few hours; a new pack must be seen at the next poll.
      'cache-control': 'no-cache',
    });
  });

  app.get('/extension/:file', async (c) => {
    const file = c.req.param('file');
    const contentType = CRX_FILE_PATTERN.test(file) ? CRX_CONTENT_TYPE : XPI_FILE_PATTERN.test(file) ? XPI_CONTENT_TYPE : null;
    if (!contentType) return c.json({ error: `no route for GET ${c.req.path}` }, 404);
    let data: Buffer;
    try {
      data = await readFile(join(options.dir, file));
    } catch {
      return c.json({ error: `${file} is not packed here` }, 404);
    }
    return c.body(new Uint8Array(data), 200, {
      'content-type': contentType,
      'content-length': String(data.length),
      // A re-pack of the same version replaces the file; update manifests carry its hash.
      'cache-control': 'no-cache',
    });
  });
}
