import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { KbImportSummary, TokenCreateRequest } from '../../lib/contract';
import type { ServerConfig } from '../config';
import { openDatabase } from '../db/client';
import { ensureTenant, createToken } from '../tenancy';
import { importJsonlFile } from '../kb/import';
import { acquireLock, readLock } from '../runtime';

/** What a CLI command needs, whether it goes through a running server or the database itself. */
export interface Backend {
  createToken(input: TokenCreateRequest): Promise<string>;
  importKb(tenant: string, file: string): Promise<KbImportSummary>;
}

class ServerBackend implements Backend {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  private async call<T>(path: string, init: RequestInit & { duplex?: 'half' }): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.token}`, ...init.headers },
    });
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    if (!response.ok) throw new Error(`server answered ${response.status}: ${body.error ?? response.statusText}`);
    return body as T;
  }

  async createToken(input: TokenCreateRequest): Promise<string> {
    const { token } = await this.call<{ token: string }>('/v1/admin/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    return token;
  }

  importKb(tenant: string, file: string): Promise<KbImportSummary> {
    return this.call<KbImportSummary>(`/v1/admin/kb/import?format=jsonl&tenant=${encodeURIComponent(tenant)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    });
  }
}

/**
 * Runs `fn` against the running server's admin API when a server holds the PGlite data directory,
 * and against the database directly otherwise (under the lock, so no server starts meanwhile).
 * PostgreSQL allows many processes, so with DATABASE_URL the database is always opened directly.
 */
export async function withBackend<T>(config: ServerConfig, fn: (backend: Backend) => Promise<T>): Promise<T> {
  if (!config.databaseUrl) {
    const holder = readLock(config.dataDir);
    if (holder?.url && holder.systemToken) return fn(new ServerBackend(holder.url, holder.systemToken));
  }
  const release = config.databaseUrl ? () => {} : acquireLock(config.dataDir);
  try {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      return await fn({
        createToken: (input) => createToken(database.db, input),
        importKb: async (tenant, file) => importJsonlFile(database.db, await ensureTenant(database.db, tenant), file),
      });
    } finally {
      await database.close();
    }
  } finally {
    release();
  }
}

