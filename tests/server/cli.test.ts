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
const KB = join(import.meta.dirname, '..', 'fixtures', 'kb');

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
      expect(stderr).toMatch(/1 created, 0 updated, 0 unchanged, 1 skipped, 0 pruned/);
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

  it('creates, lists and revokes enrollment and API tokens, through the server and without it', async () => {
    const dir = dataDir();
    const created = await loopdesk(['enrollment', 'create', '--tenant', 'acme', '--team', 'support', '--max-uses', '5', '--expires', '2099-01-01T00:00:00Z'], dir);
    expect(created.stdout.trim()).toMatch(/^lde_[\w-]+$/);
    const enrollmentId = /enrollment token ([0-9a-f-]{36})/.exec(created.stderr)![1]!;
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: dir, databaseUrl: undefined });
    try {
      const enrolled = await fetch(`${server.url}/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enrollmentToken: created.stdout.trim(), helpdesk: 'zendesk', helpdeskIdentity: { agentId: '77', name: 'Ann' } }),
      });
      const { token } = (await enrolled.json()) as { token: string };
      const listed = await loopdesk(['enrollment', 'list', '--tenant', 'acme'], dir);
      expect(listed.stdout).toContain(`${enrollmentId}  support  agent  1/5 uses, expires 2099-01-01T00:00:00.000Z`);
      const tokens = await loopdesk(['token', 'list', '--tenant', 'acme'], dir);
      const tokenId = /^([0-9a-f-]{36})  zendesk:77  support  agent  created \S+ enrolled \(Ann\)$/m.exec(tokens.stdout)![1]!;
      expect(tokens.stdout).not.toContain(token);
      await loopdesk(['token', 'revoke', tokenId], dir);
      const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(401);
      await loopdesk(['enrollment', 'revoke', enrollmentId], dir);
      expect((await loopdesk(['enrollment', 'list', '--tenant', 'acme'], dir)).stdout).toMatch(/revoked \S+/);
      await expect(loopdesk(['token', 'revoke', '00000000-0000-0000-0000-000000000000'], dir)).rejects.toThrow(/no token with id/);
    } finally {
      await server.close();
    }
    expect((await loopdesk(['token', 'list'], dir)).stdout).toMatch(/zendesk:77 .* revoked /);
  });

  it('imports each format by opening the database itself, the format told or read from the path', async () => {
    const dir = dataDir();
    const jsonl = await loopdesk(['kb', 'import', '--tenant', 'acme', '--format', 'jsonl', join(KB, 'jsonl', 'articles.jsonl')], dir);
    expect(jsonl.stderr).toMatch(/imported \(jsonl\): 3 created, 0 updated, 0 unchanged, 2 skipped, 0 pruned/);
    expect(jsonl.stderr).toMatch(/^ {2}line 3: not JSON/m);
    const zendesk = await loopdesk(['kb', 'import', '--tenant', 'acme', '--format', 'zendesk', join(KB, 'zendesk', 'pages')], dir);
    expect(zendesk.stderr).toMatch(/imported \(zendesk\): 3 created, 0 updated, 0 unchanged, 1 skipped, 0 pruned/);
    expect(zendesk.stderr).toMatch(/^ {2}articles-page-2\.json page 1 article 2: article is not an object$/m);
    const markdown = await loopdesk(['kb', 'import', '--tenant', 'acme', join(KB, 'markdown')], dir);
    expect(markdown.stderr).toMatch(/imported \(markdown\): 3 created, 0 updated, 0 unchanged, 1 skipped, 0 pruned/);
    expect(markdown.stderr).toMatch(/^ {2}faq\/broken\.md line 3: front matter: /m);
    // stderr is no terminal here: progress comes as plain lines, never as redraws.
    expect(markdown.stderr).toMatch(/^kb import: 100% of 1 KiB read, 4 records/m);
    expect(markdown.stderr).not.toMatch(/\x1b\[/);
  });

  it('imports Zendesk and Markdown through the running server, --prune included', async () => {
    const dir = dataDir();
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: dir, databaseUrl: undefined });
    try {
      const { stdout: token } = await loopdesk(['token', 'create', '--tenant', 'acme', '--team', 'support', '--role', 'agent', '--name', 'ann'], dir);
      const retrieve = async (query: string) => {
        const res = await fetch(`${server.url}/v1/retrieve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token.trim()}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query, k: 3 }),
        });
        return ((await res.json()) as { results: { articleId: string }[] }).results.map((r) => r.articleId);
      };
      const zendesk = await loopdesk(['kb', 'import', '--tenant', 'acme', join(KB, 'zendesk', 'one-page.json')], dir);
      expect(zendesk.stderr).toMatch(/imported \(zendesk\): 2 created, 0 updated, 0 unchanged, 2 skipped, 0 pruned/);
      expect(zendesk.stderr).toMatch(/^ {2}page 1 article 2: draft article 360001000002: not published$/m);
      expect((await retrieve('hold the dial for five seconds'))[0]).toBe('360001000001');

      const markdown = await loopdesk(['kb', 'import', '--tenant', 'acme', '--prune', join(KB, 'markdown')], dir);
      expect(markdown.stderr).toMatch(/imported \(markdown\): 3 created, 0 updated, 0 unchanged, 1 skipped, 2 pruned/);
      expect(markdown.stderr).toMatch(/^ {2}faq\/broken\.md line 3: front matter: /m);
      expect((await retrieve('refunds original card'))[0]).toBe('md-refunds');
      expect(await retrieve('hold the dial for five seconds')).not.toContain('360001000001');
    } finally {
      await server.close();
    }
  });

  it('exits non-zero when the input breaks off, and prunes nothing', async () => {
    const dir = dataDir();
    await loopdesk(['kb', 'import', '--tenant', 'acme', join(KB, 'markdown')], dir);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"articles": [{"id": 1, "title": "One", "body": "<p>x</p>"}, {"id": 2, "title": ');
    const failed = loopdesk(['kb', 'import', '--tenant', 'acme', '--prune', broken], dir);
    await expect(failed).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/loopdesk: import incomplete: page 1 article \d: invalid JSON at or after this point.*so nothing was pruned/),
    });
    const again = await loopdesk(['kb', 'import', '--tenant', 'acme', join(KB, 'markdown')], dir);
    expect(again.stderr).toMatch(/0 created, 0 updated, 3 unchanged/);
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
