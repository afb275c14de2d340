/**
 * Self-hosted distribution: the CRX3 `loopdesk extension pack` writes (read back with our parser,
 * with openssl and with unzip as independent checks), and the server's update manifest and CRX routes.
 * Chromium installing the package by policy is tests/e2e/extension-install-policy.spec.ts.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionIdOf, loadSigningKey, parseCrx3, publicKeyDer, verifyCrx3, writeCrx3 } from '../../server/extension-pack/crx';
import { packExtension } from '../../server/extension-pack/pack';
import { CRX_CONTENT_TYPE, XPI_CONTENT_TYPE } from '../../server/extension-pack/routes';
import { readZip, writeZip } from '../../server/extension-pack/zip';
import { startTestServer, type TestServer } from '../support/server';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'loopdesk-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The development key of wxt.config.ts and the id the README and policy tests use for it. */
const DEV_MANIFEST_KEY = /DEV_MANIFEST_KEY =\s*'([^']+)'/.exec(readFileSync('wxt.config.ts', 'utf8'))![1]!;
const DEV_EXTENSION_ID = 'nkijplgmibanljkegkjkejpfabaklpdd';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PKCS8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PKCS1 = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;

/** A small built extension: a manifest with the development key, a worker, a nested asset. */
function fakeBuild(version = '1.2.3'): string {
  const dir = mkdtempSync(join(work, 'build-'));
  mkdirSync(join(dir, 'assets', 'ünï'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'Loopdesk', version, key: DEV_MANIFEST_KEY, background: { service_worker: 'background.js' } }));
  writeFileSync(join(dir, 'background.js'), `console.log(${JSON.stringify('x'.repeat(5000))});\n`);
  writeFileSync(join(dir, 'assets', 'ünï', 'icon.bin'), Buffer.from([0, 1, 2, 3, 255]));
  writeFileSync(join(dir, 'empty.txt'), '');
  return dir;
}

describe('extension ids', () => {
  it('follow from the public key as Chromium computes them: the development key gives the documented id', () => {
    expect(extensionIdOf(Buffer.from(DEV_MANIFEST_KEY, 'base64'))).toBe(DEV_EXTENSION_ID);
  });

  it('match the README openssl recipe, for PKCS#8 and PKCS#1 keys alike', () => {
    const keyFile = join(work, 'id.pem');
    writeFileSync(keyFile, PKCS1);
    const der = spawnSync('openssl', ['rsa', '-in', keyFile, '-pubout', '-outform', 'DER']).stdout;
    const recipe = createHash('sha256').update(der).digest('hex').slice(0, 32).replace(/[0-9a-f]/g, (d) => 'abcdefghijklmnop'[parseInt(d, 16)]!);
    expect(extensionIdOf(publicKeyDer(loadSigningKey(PKCS1)))).toBe(recipe);
    expect(extensionIdOf(publicKeyDer(loadSigningKey(PKCS8)))).toBe(recipe);
  });

  it('refuse keys CRX3 cannot use', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(() => loadSigningKey(ec)).toThrow(/must be RSA/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(() => loadSigningKey(small)).toThrow(/at least 2048 bits/);
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' });
    expect(() => loadSigningKey(encrypted)).toThrow(/encrypted/);
    expect(() => loadSigningKey('not a key')).toThrow(/not a PEM private key/);
  });
});

describe('zip', () => {
  it('round-trips files, deflated or stored, and unzip agrees', () => {
    const entries = [
      { path: 'a.txt', data: Buffer.from('hello '.repeat(100)) },
      { path: 'dir/ü.bin', data: Buffer.from([9, 8, 7]) },
      { path: 'empty', data: Buffer.alloc(0) },
    ];
    const zip = writeZip(entries);
    expect(readZip(zip)).toEqual(entries);
    // The same files give the same bytes.
    expect(writeZip(entries).equals(zip)).toBe(true);
    const file = join(work, 'round.zip');
    writeFileSync(file, zip);
    const test = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/No errors detected/);
  });

  it('refuses paths that would escape the folder they are unpacked into', () => {
    expect(() => writeZip([{ path: '../evil', data: Buffer.alloc(1) }])).toThrow(/bad path/);
    expect(() => writeZip([{ path: '/abs', data: Buffer.alloc(1) }])).toThrow(/bad path/);
  });
});

describe('CRX3', () => {
  const key: KeyObject = loadSigningKey(PKCS8);
  const zip = writeZip([{ path: 'manifest.json', data: Buffer.from('{}') }]);

  it('is "Cr24", version 3, the header, then the archive, signed by the key whose hash is its crx id', () => {
    const crx = writeCrx3(zip, key);
    expect(crx.subarray(0, 4).toString('latin1')).toBe('Cr24');
    expect(crx.readUInt32LE(4)).toBe(3);
    expect(crx.subarray(12 + crx.readUInt32LE(8)).equals(zip)).toBe(true);
    const parsed = parseCrx3(crx);
    expect(parsed.rsaProofs).toHaveLength(1);
    expect(parsed.rsaProofs[0]!.publicKey.equals(publicKeyDer(key))).toBe(true);
    expect(parsed.rsaProofs[0]!.valid).toBe(true);
    expect(parsed.ecdsaProofs).toBe(0);
    expect(parsed.extensionId).toBe(extensionIdOf(publicKeyDer(key)));
    expect(verifyCrx3(crx).extensionId).toBe(parsed.extensionId);
  });

  it('signature verifies with openssl over the documented signed bytes', () => {
    const crx = writeCrx3(zip, key);
    const parsed = parseCrx3(crx);
    const signedHeaderData = Buffer.concat([Buffer.from([0x0a, 16]), parsed.crxId]);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(signedHeaderData.length);
    writeFileSync(join(work, 'signed.bin'), Buffer.concat([Buffer.from('CRX3 SignedData\x00', 'latin1'), length, signedHeaderData, zip]));
    writeFileSync(join(work, 'sig.bin'), parsed.rsaProofs[0]!.signature);
    writeFileSync(join(work, 'pub.der'), parsed.rsaProofs[0]!.publicKey);
    const check = spawnSync(
      'openssl',
      ['dgst', '-sha256', '-verify', join(work, 'pub.der'), '-keyform', 'DER', '-signature', join(work, 'sig.bin'), join(work, 'signed.bin')],
      { encoding: 'utf8' },
    );
    expect(check.stdout.trim()).toBe('Verified OK');
  });

  it('is refused when the archive or the signature was changed', () => {
    const crx = writeCrx3(zip, key);
    const tamperedZip = Buffer.from(crx);
    tamperedZip[tamperedZip.length - 30]! ^= 1;
    expect(() => verifyCrx3(tamperedZip)).toThrow(/does not verify/);
    const other = writeCrx3(zip, loadSigningKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' })));
    expect(parseCrx3(other).extensionId).not.toBe(parseCrx3(crx).extensionId);
    expect(() => parseCrx3(Buffer.from('PK\x03\x04 not a crx'))).toThrow(/Cr24/);
  });
});

describe('packExtension', () => {
  it('packs a copy whose manifest key is the organisation key, leaving the build untouched', () => {
    const build = fakeBuild();
    const before = readFileSync(join(build, 'manifest.json'));
    const out = join(work, 'out-pack');
    const key = loadSigningKey(PKCS1);
    const result = packExtension({ sourceDir: build, outDir: out, key });
    expect(result.extensionId).toBe(extensionIdOf(publicKeyDer(key)));
    expect(result.extensionId).not.toBe(DEV_EXTENSION_ID);
    expect(result.crxPath).toBe(join(out, 'loopdesk-1.2.3.crx'));
    expect(readFileSync(join(build, 'manifest.json')).equals(before)).toBe(true);

    const crx = readFileSync(result.crxPath);
    expect(createHash('sha256').update(crx).digest('hex')).toBe(result.sha256);
    const { extensionId, zip } = verifyCrx3(crx);
    expect(extensionId).toBe(result.extensionId);
    const files = readZip(zip);
    expect(files.map((f) => f.path)).toEqual(['assets/ünï/icon.bin', 'background.js', 'empty.txt', 'manifest.json']);
    const manifest = JSON.parse(files.find((f) => f.path === 'manifest.json')!.data.toString('utf8'));
    expect(manifest.key).toBe(publicKeyDer(key).toString('base64'));
    expect(extensionIdOf(Buffer.from(manifest.key, 'base64'))).toBe(result.extensionId);
    expect(manifest.version).toBe('1.2.3');
    expect(JSON.parse(readFileSync(join(out, 'release.json'), 'utf8'))).toEqual({
      extensionId: result.extensionId,
      version: '1.2.3',
      crx: 'loopdesk-1.2.3.crx',
      sha256: result.sha256,
      size: crx.length,
    });
  });

  it('refuses a build without a manifest and a Firefox build', () => {
    const key = loadSigningKey(PKCS8);
    expect(() => packExtension({ sourceDir: join(work, 'nothing'), outDir: join(work, 'x'), key })).toThrow(/no readable manifest.json/);
    const firefox = fakeBuild();
    writeFileSync(join(firefox, 'manifest.json'), JSON.stringify({ version: '1.0.0', browser_specific_settings: { gecko: { id: 'a@b' } } }));
    expect(() => packExtension({ sourceDir: firefox, outDir: join(work, 'x'), key })).toThrow(/Firefox build/);
  });
});

describe('loopdesk extension pack', () => {
  it('prints the id and writes where the server looks by default (LOOPDESK_DATA_DIR/extension)', async () => {
    const dataDir = mkdtempSync(join(work, 'data-'));
    const keyFile = join(work, 'cli.pem');
    writeFileSync(keyFile, PKCS8, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env, LOOPDESK_DATA_DIR: dataDir };
    delete env.LOOPDESK_EXTENSION_DIR;
    const { stdout } = await run(process.execPath, ['bin/loopdesk.mjs', 'extension', 'pack', '--key', keyFile, '--source', fakeBuild('2.0.1')], { env });
    const id = extensionIdOf(publicKeyDer(loadSigningKey(PKCS8)));
    expect(stdout).toMatch(new RegExp(`^extension id: ${id}$`, 'm'));
    expect(stdout).toMatch(/^version: +2\.0\.1$/m);
    expect(verifyCrx3(readFileSync(join(dataDir, 'extension', 'loopdesk-2.0.1.crx'))).extensionId).toBe(id);
  });

  it('fails with a readable message for a missing key', async () => {
    const failed = await run(process.execPath, ['bin/loopdesk.mjs', 'extension', 'pack', '--key', join(work, 'missing.pem'), '--out', work]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/loopdesk: no such key file/);
  });
});

describe('GET /extension/*', () => {
  let server: TestServer;
  let extensionDir: string;
  let packed: ReturnType<typeof packExtension>;

  beforeAll(async () => {
    extensionDir = join(work, 'served');
    server = await startTestServer('pglite', { extensionDir });
  });
  afterAll(() => server?.close());

  it('answer 404 with what to do until a package is packed', async () => {
    const res = await server.call('/extension/updates.xml');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/loopdesk extension pack/);
    expect((await server.call('/extension/loopdesk-1.2.3.crx')).status).toBe(404);
  });

  it('serve the update manifest for the packed id and version, pointing at the CRX on this server', async () => {
    packed = packExtension({ sourceDir: fakeBuild('1.2.3'), outDir: extensionDir, key: loadSigningKey(PKCS8) });
    const res = await fetch(`${server.url}/extension/updates.xml?os=linux&x=id%3D${packed.extensionId}%26v%3D%26uc`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    expect(await res.text()).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gupdate xmlns="http://www.google.com/update2/response" protocol="2.0">',
        `  <app appid="${packed.extensionId}">`,
        `    <updatecheck codebase="${server.url}/extension/loopdesk-1.2.3.crx" version="1.2.3" hash_sha256="${packed.sha256}" />`,
        '  </app>',
        '</gupdate>',
        '',
      ].join('\n'),
    );
  });

  it('serve the CRX as application/x-chrome-extension, byte for byte', async () => {
    const res = await fetch(`${server.url}/extension/loopdesk-1.2.3.crx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(CRX_CONTENT_TYPE);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(readFileSync(packed.crxPath))).toBe(true);
    expect(verifyCrx3(body).extensionId).toBe(packed.extensionId);
  });

  it('offer a new pack at once, and serve nothing else from the folder', async () => {
    const next = packExtension({ sourceDir: fakeBuild('1.3.0'), outDir: extensionDir, key: loadSigningKey(PKCS8) });
    const xml = (await server.call('/extension/updates.xml')).body as string;
    expect(xml).toContain(`codebase="${server.url}/extension/loopdesk-1.3.0.crx" version="1.3.0" hash_sha256="${next.sha256}"`);
    expect(existsSync(join(extensionDir, 'release.json'))).toBe(true);
    expect((await server.call('/extension/release.json')).status).toBe(404);
    expect((await server.call('/extension/..%2Frelease.json')).status).toBe(404);
    expect((await server.call('/extension/loopdesk-9.9.9.crx')).status).toBe(404);
  });

  it('serve a Firefox package the admin put there as application/x-xpinstall', async () => {
    const xpi = Buffer.from('PK\x03\x04 a signed xpi');
    writeFileSync(join(extensionDir, 'loopdesk-1.3.0.xpi'), xpi);
    const res = await fetch(`${server.url}/extension/loopdesk-1.3.0.xpi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(XPI_CONTENT_TYPE);
    expect(Buffer.from(await res.arrayBuffer()).equals(xpi)).toBe(true);
    expect((await server.call('/extension/other.xpi')).status).toBe(404);
  });
});
