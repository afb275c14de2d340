import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KbArticleInput } from '../../lib/contract';
import { upsertArticles } from '../../server/kb/store';
import { startServer, type RunningServer } from '../../server/serve';
import { createToken, ensureTenant } from '../../server/tenancy';

export interface BenchServer extends RunningServer {
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** A real server on a free port: PGlite in a temp folder, or a throwaway PostgreSQL schema. */
export async function startBenchServer(
  kind: 'pglite' | 'postgres',
  options: { /** A PostgreSQL schema kept after the run, so a large KB is built once. */ keepSchema?: string } = {},
): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-'));
  const pgSchema = kind === 'postgres' ? (options.keepSchema ?? `bench_${process.pid}_${Date.now()}`) : undefined;
  const databaseUrl = kind === 'postgres' ? (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test') : undefined;
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, databaseUrl }, { pgSchema });
  return {
    ...server,
    kind,
    async close() {
      await server.close();
      if (pgSchema && !options.keepSchema) {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        await client.query(`drop schema if exists ${pgSchema} cascade`);
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Loads articles into a tenant through the same store code the importer uses; returns an agent token. */
export async function loadTenant(server: RunningServer, tenant: string, articles: KbArticleInput[]): Promise<{ tenantId: string; token: string }> {
  const tenantId = await ensureTenant(server.database.db, tenant);
  for (let i = 0; i < articles.length; i += 200) await upsertArticles(server.database.db, tenantId, articles.slice(i, i + 200));
  const token = await createToken(server.database.db, { tenant, team: 'bench', name: 'bench-agent', role: 'agent' });
  return { tenantId, token };
}

export async function post<T>(server: RunningServer, token: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
