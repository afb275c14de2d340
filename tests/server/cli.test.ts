import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/serve';
import { lockPath } from '../../server/runtime';

const run = promisify(execFile);
const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-cli-'));
  dirs.push(dir);
  return dir;
}

/** The real CLI, as `npx loopdesk` runs it. */
function loopdesk(args: string[], dir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, LOOPDESK_DATA_DIR: dir };
  delete env.DATABASE_URL;
  return run(process.execPath, ['bin/loopdesk.mjs', ...args], { env });
}

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('loopdesk CLI on PGlite', () => {
  it('prints help', async () => {
    const { stdout } = await loopdesk(['--help'], dataDir());
    expect(stdout).toMatch(/Usage: loopdesk/);
    expect(stdout).toMatch(/serve/);
  });

  it('creates a token by opening the database itself when no server runs', async () => {
    const dir = dataDir();
    const { stdout } = await loopdesk(['token', 'create', '--tenant', 'acme', '--team', 'support', '--role', 'lead', '--name', 'lee'], dir);
    expect(stdout.trim()).toMatch(/^ld_[\w-]+$/);
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: dir, databaseUrl: undefined });
    try {
      const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${stdout.trim()}` } });
      expect(await me.json()).toEqual({ tenant: 'acme', team: 'support', agent: 'lee', role: 'lead' });
    } finally {
      await server.close();
    }
  });

  it('goes through the running server, which holds the database, for tokens and KB imports', async () => {
    const dir = dataDir();
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: dir, databaseUrl: undefined });
    try {
      const { stdout: token } = await loopdesk(['token', 'create', '--tenant', 'acme', '--team', 'support', '--role', 'agent', '--name', 'ann'], dir);
      const file = join(dir, 'kb.jsonl');
      writeFileSync(file, `${JSON.stringify({ id: 'a1', title: 'Pairing', body: '## Steps\nHold the dial for five seconds.' })}\nnot json\n`);
      const { stderr } = await loopdesk(['kb', 'import', '--tenant', 'acme', '--format', 'jsonl', file], dir);
      expect(stderr).toMatch(/1 created, 0 updated, 0 unchanged, 1 skipped/);
      expect(stderr).toMatch(/line 2: not JSON/);
      const res = await fetch(`${server.url}/v1/retrieve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'hold the dial', k: 3 }),
      });
      expect((await res.json()).results[0].articleId).toBe('a1');
    } finally {
      await server.close();
    }
  });

  it('fails with a clear message when another command holds the database', async () => {
    const dir = dataDir();
    // A live process (this test) holding the lock without a server URL: another CLI command.
    writeFileSync(lockPath(dir), JSON.stringify({ pid: process.pid }));
    await expect(loopdesk(['token', 'create', '--tenant', 'a', '--team', 'b', '--role', 'agent', '--name', 'c'], dir)).rejects.toMatchObject({
      stderr: expect.stringMatching(/loopdesk: the database in .* is in use by another loopdesk command/),
    });
  });

  it('rejects a bad role with the allowed choices', async () => {
    await expect(loopdesk(['token', 'create', '--tenant', 'a', '--team', 'b', '--role', 'boss', '--name', 'c'], dataDir())).rejects.toMatchObject({
      stderr: expect.stringMatching(/Allowed choices are agent, lead, admin/),
    });
  });
});
