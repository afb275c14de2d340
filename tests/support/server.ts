import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { experimentPollSecondsFromEnv } from '../../server/experiments/config';
import { generationConfigFromEnv } from '../../server/generation/profiles';
import { embedderConfigFromEnv } from '../../server/retrieval/embeddings';
import { startServer, type RunningServer } from '../../server/serve';
import { createToken } from '../../server/tenancy';
import type { Role } from '../../lib/contract';

export type DatabaseKind = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when DATABASE_URL is set (as in CI). */
export const DATABASE_KINDS: DatabaseKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestServer extends RunningServer {
  /** The server's data directory: its lock file lets a CLI child process talk to it (PGlite). */
  dataDir: string;
  token(role: Role, opts?: { tenant?: string; team?: string; name?: string }): Promise<string>;
  /** Calls the API over real HTTP. */
  call(path: string, init?: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
}

export interface TestServerOptions {
  demo?: boolean;
  /** With `demo`: the demo experiment with 30 days of events and a lead token (server/demo-seed.ts). */
  demoHistory?: boolean;
  /**
   * Environment variables as the server would read them (`LOOPDESK_LLM_*`,
   * `LOOPDESK_GENERATION_PROFILES`, `LOOPDESK_EMBED_*`, `LOOPDESK_EXPERIMENT_POLL_SECONDS`), given here instead of through process.env so that tests never
   * pick up a developer's own settings. Absent: no model, the extractive generator.
   */
  env?: Record<string, string>;
  /** Where the server finds the packed extension for `/extension/*`; absent: `<its data dir>/extension`. */
  extensionDir?: string;
}

/**
 * A real server on a free port with its own database: a fresh PGlite data directory, or a fresh
 * PostgreSQL schema, so test files never see each other's data.
 */
export async function startTestServer(kind: DatabaseKind, options: TestServerOptions = {}): Promise<TestServer> {
  const generation = generationConfigFromEnv(options.env ?? {});
  const embedding = embedderConfigFromEnv(options.env ?? {});
  const experimentPollSeconds = experimentPollSecondsFromEnv(options.env ?? {});
  const dataDir = mkdtempSync(join(tmpdir(), 'loopdesk-test-'));
  const pgSchema = kind === 'postgres' ? `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}` : undefined;
  const server = await startServer(
    { host: '127.0.0.1', port: 0, dataDir, databaseUrl: kind === 'postgres' ? process.env.DATABASE_URL : undefined, generation, embedding, experimentPollSeconds, extensionDir: options.extensionDir },
    { demo: options.demo, demoHistory: options.demoHistory, pgSchema },
  );
  let counter = 0;
  return {
    ...server,
    dataDir,
    async close() {
      await server.close();
      if (pgSchema) {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await client.connect();
        await client.query(`drop schema if exists ${pgSchema} cascade`);
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
    token(role, opts = {}) {
      return createToken(server.database.db, {
        tenant: opts.tenant ?? 'acme',
        team: opts.team ?? 'support',
        name: opts.name ?? `${role}-${++counter}`,
        role,
      });
    },
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined = init.rawBody;
      if (init.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.body);
      }
      const response = await fetch(`${server.url}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed };
    },
  };
}
