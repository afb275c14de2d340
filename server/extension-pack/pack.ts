/**
 * `loopdesk extension pack`: the built Chrome extension, with the organisation's public key as its
 * manifest `key`, zipped and signed as CRX3 with the organisation's private key, written where the
 * server serves it from (`/extension/updates.xml`, `/extension/loopdesk-<version>.crx`).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeyDer, extensionIdOf, verifyCrx3, writeCrx3 } from './crx';
import { readDirectoryEntries, readZip, writeZip } from './zip';

/** What the last `pack` wrote into the extension directory; the server's update manifest reads it. */
export const RELEASE_FILE = 'release.json';

export interface Release {
  extensionId: string;
  version: string;
  /** File name of the CRX in the same directory. */
  crx: string;
  /** Hex SHA-256 of the CRX file (the update manifest's `hash_sha256`). */
  sha256: string;
  size: number;
}

/** `loopdesk-<version>.crx`; versions are Chrome's 1–4 dot-separated integers. */
export const CRX_FILE_PATTERN = /^loopdesk-(\d+(?:\.\d+){0,3})\.crx$/;

/**
 * `loopdesk-<version>.xpi`: a Firefox package signed by addons.mozilla.org (unlisted), which the
 * admin copies into the same directory for Firefox's `install_url`.
 */
export const XPI_FILE_PATTERN = /^loopdesk-(\d+(?:\.\d+){0,3})\.xpi$/;

export function crxFileName(version: string): string {
  return `loopdesk-${version}.crx`;
}

/** Writes `data` to `path` through a temporary file, so a reader never sees half a file. */
function writeAtomically(path: string, data: Buffer | string): void {
  const partial = `${path}.partial`;
  writeFileSync(partial, data, { mode: 0o644 });
  renameSync(partial, path);
}

export interface PackOptions {
  /** The built extension (`.output/chrome-mv3`); it is read, never changed. */
  sourceDir: string;
  /** Where the CRX and release.json go. */
  outDir: string;
  /** The organisation's RSA private key (loadSigningKey). */
  key: KeyObject;
}

export interface PackResult extends Release {
  crxPath: string;
}

export function packExtension({ sourceDir, outDir, key }: PackOptions): PackResult {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readFileSync(join(sourceDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`no readable manifest.json in ${sourceDir} (build the extension first: npm run build): ${(err as Error).message}`);
  }
  const version = manifest.version;
  if (typeof version !== 'string' || !/^\d+(?:\.\d+){0,3}$/.test(version)) throw new Error(`manifest version must be 1–4 dot-separated integers, got ${String(version)}`);
  if ((manifest.browser_specific_settings as { gecko?: unknown } | undefined)?.gecko) {
    throw new Error(`${sourceDir} is a Firefox build; pack the Chrome build (.output/chrome-mv3)`);
  }
  const publicKey = publicKeyDer(key);
  const extensionId = extensionIdOf(publicKey);
  // The packed copy's manifest names the organisation's key, so the id follows from it; the build
  // on disk keeps its development key.
  const packedManifest = Buffer.from(`${JSON.stringify({ ...manifest, key: publicKey.toString('base64') }, null, 2)}\n`);
  const entries = readDirectoryEntries(sourceDir).map((entry) => (entry.path === 'manifest.json' ? { ...entry, data: packedManifest } : entry));
  const crx = writeCrx3(writeZip(entries), key);

  // Read the package back before anyone can download it: signature, id and manifest.
  const checked = verifyCrx3(crx);
  if (checked.extensionId !== extensionId) throw new Error(`packed id ${checked.extensionId} is not the key's id ${extensionId}`);
  const packed = readZip(checked.zip).find((e) => e.path === 'manifest.json');
  if (!packed || (JSON.parse(packed.data.toString('utf8')) as { key?: string }).key !== publicKey.toString('base64')) {
    throw new Error('the packed manifest does not carry the signing key');
  }

  mkdirSync(outDir, { recursive: true });
  const name = crxFileName(version);
  const crxPath = join(outDir, name);
  writeAtomically(crxPath, crx);
  const release: Release = { extensionId, version, crx: name, sha256: createHash('sha256').update(crx).digest('hex'), size: crx.length };
  writeAtomically(join(outDir, RELEASE_FILE), `${JSON.stringify(release, null, 2)}\n`);
  return { ...release, crxPath };
}
