import { Readable } from 'node:stream';
import type { EnrollmentTokenSummary, ExportRequest, FinetuneJob, FinetuneJobRecord, KbImportSummary, TokenCreateRequest, TokenSummary } from '../../lib/contract';
import type { ServerConfig } from '../config';
import { openDatabase, type Database } from '../db/client';
import { createExport } from '../exports';
import { listFinetuneJobs, saveFinetuneJob } from '../finetune/jobs';
import { listModels, promoteModel, RETRIEVAL_KIND, rollbackModel, type ModelSummary } from '../flywheel/models';
import { runFlywheel, type FlywheelProgress, type FlywheelResult } from '../flywheel/run';
import { createEnrollmentToken, listEnrollmentTokens, listTokens, revokeEnrollmentToken, revokeToken } from '../identity';
import { ensureTenant, createToken, findTenant } from '../tenancy';
import { encodeRecords } from '../kb/formats/records';
import { importRecords, type ImportOptions, type KbRecord } from '../kb/import';
import { acquireLock, readLock } from '../runtime';

/** What a CLI command needs, whether it goes through a running server or the database itself. */
export interface Backend {
  createToken(input: TokenCreateRequest): Promise<string>;
  /** API tokens of a tenant, or of every tenant; never their secrets. */
  listTokens(tenant?: string): Promise<TokenSummary[]>;
  /** False when there is no such token. */
  revokeToken(id: string): Promise<boolean>;
  createEnrollmentToken(input: EnrollmentInput): Promise<{ id: string; token: string }>;
  listEnrollmentTokens(tenant: string): Promise<EnrollmentTokenSummary[]>;
  revokeEnrollmentToken(id: string): Promise<boolean>;
  /** Stores records the CLI has parsed from the user's files, whatever their format. */
  importKb(tenant: string, records: AsyncIterable<KbRecord>, options: ImportOptions): Promise<KbImportSummary>;
  /** Streams an export of `request.tenant`'s data, as it is read; consume it inside `withBackend`. */
  exportData(request: ExportRequest & { tenant: string }): AsyncIterable<string | Uint8Array>;
  /** One flywheel run for a tenant; progress is reported only when it runs in this process. */
  runFlywheel(tenant: string, onProgress?: FlywheelProgress): Promise<FlywheelResult>;
  /** `kind`: `retrieval` (the default) or `reply-memory`. */
  listModels(tenant: string, kind?: string): Promise<ModelSummary[]>;
  promoteModel(tenant: string, id: string): Promise<ModelSummary>;
  rollbackModel(tenant: string, kind?: string): Promise<ModelSummary | null>;
  /** Records a fine-tuning job `loopdesk finetune` started, or updates its row. */
  saveFinetuneJob(tenant: string, record: FinetuneJobRecord): Promise<FinetuneJob>;
  listFinetuneJobs(tenant: string): Promise<FinetuneJob[]>;
}

export interface EnrollmentInput {
  tenant: string;
  team: string;
  role: 'agent' | 'lead';
  expiresAt?: string;
  maxUses?: number;
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

  async listTokens(tenant?: string): Promise<TokenSummary[]> {
    const query = tenant ? `?${new URLSearchParams({ tenant })}` : '';
    return (await this.call<{ tokens: TokenSummary[] }>(`/v1/admin/tokens${query}`, { method: 'GET' })).tokens;
  }

  revokeToken(id: string): Promise<boolean> {
    return this.callForFound(`/v1/admin/tokens/${encodeURIComponent(id)}`, 'DELETE');
  }

  createEnrollmentToken(input: EnrollmentInput): Promise<{ id: string; token: string }> {
    return this.call('/v1/admin/enrollment-tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
  }

  async listEnrollmentTokens(tenant: string): Promise<EnrollmentTokenSummary[]> {
    const query = new URLSearchParams({ tenant });
    return (await this.call<{ enrollmentTokens: EnrollmentTokenSummary[] }>(`/v1/admin/enrollment-tokens?${query}`, { method: 'GET' })).enrollmentTokens;
  }

  revokeEnrollmentToken(id: string): Promise<boolean> {
    return this.callForFound(`/v1/admin/enrollment-tokens/${encodeURIComponent(id)}/revoke`, 'POST');
  }

  /** True for 204, false for 404, an error otherwise. */
  private async callForFound(path: string, method: string): Promise<boolean> {
    const response = await fetch(`${this.url}${path}`, { method, headers: { authorization: `Bearer ${this.token}` } });
    if (response.status === 404) return false;
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new Error(`server answered ${response.status}: ${body.error ?? response.statusText}`);
    }
    return true;
  }

  /**
   * Sends the parsed records as the server's `records` wire form, streamed as they are read: a
   * Markdown folder is no single body, and positions stay those of the user's own files. If reading
   * fails midway the upload aborts, and a broken-off upload never prunes.
   */
  async importKb(tenant: string, records: AsyncIterable<KbRecord>, options: ImportOptions): Promise<KbImportSummary> {
    const query = new URLSearchParams({ format: 'records', tenant, ...(options.prune ? { prune: '1' } : {}) });
    // fetch reports a body that failed as "fetch failed"; the reading error itself says what to fix.
    let readError: Error | undefined;
    async function* watched(): AsyncGenerator<KbRecord> {
      try {
        yield* records;
      } catch (err) {
        readError = err as Error;
        throw err;
      }
    }
    try {
      return await this.call<KbImportSummary>(`/v1/admin/kb/import?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: Readable.toWeb(Readable.from(encodeRecords(watched()), { objectMode: false })) as ReadableStream,
        duplex: 'half',
      });
    } catch (err) {
      if (!readError) throw err;
      throw new Error(`reading stopped: ${readError.message} (the upload was cut off, so nothing was pruned)`);
    }
  }

  /** The server runs it (and drops its cached model at once when it promotes). */
  runFlywheel(tenant: string): Promise<FlywheelResult> {
    return this.call(`/v1/admin/flywheel/run?${new URLSearchParams({ tenant })}`, { method: 'POST' });
  }

  listModels(tenant: string, kind = RETRIEVAL_KIND): Promise<ModelSummary[]> {
    return this.call(`/v1/admin/flywheel/models?${new URLSearchParams({ tenant, kind })}`, { method: 'GET' });
  }

  promoteModel(tenant: string, id: string): Promise<ModelSummary> {
    return this.call(`/v1/admin/flywheel/models/${encodeURIComponent(id)}/promote?${new URLSearchParams({ tenant })}`, { method: 'POST' });
  }

  async rollbackModel(tenant: string, kind = RETRIEVAL_KIND): Promise<ModelSummary | null> {
    return (await this.call<{ promoted: ModelSummary | null }>(`/v1/admin/flywheel/rollback?${new URLSearchParams({ tenant, kind })}`, { method: 'POST' })).promoted;
  }

  saveFinetuneJob(tenant: string, record: FinetuneJobRecord): Promise<FinetuneJob> {
    return this.call(`/v1/admin/finetune/jobs?${new URLSearchParams({ tenant })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(record),
    });
  }

  async listFinetuneJobs(tenant: string): Promise<FinetuneJob[]> {
    return (await this.call<{ jobs: FinetuneJob[] }>(`/v1/admin/finetune/jobs?${new URLSearchParams({ tenant })}`, { method: 'GET' })).jobs;
  }

  /** The server streams the export; its bytes are passed on as they arrive. */
  async *exportData(request: ExportRequest & { tenant: string }): AsyncGenerator<Buffer> {
    const response = await fetch(`${this.url}/v1/admin/exports/${request.kind}?${exportQuery(request)}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new Error(`server answered ${response.status}: ${body.error ?? response.statusText}`);
    }
    try {
      for await (const chunk of Readable.fromWeb(response.body as never)) yield chunk as Buffer;
    } catch (err) {
      throw new Error(`the server broke the export off: ${(err as Error).message}`);
    }
  }
}

/** The request as the admin API's query string (`kind` goes in the path). */
function exportQuery(request: ExportRequest): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request)) {
    if (key !== 'kind' && value !== undefined) query.set(key, String(value));
  }
  return query;
}

/** An export straight from the database: the tenant must exist (an export never creates one). */
async function* exportFromDatabase(database: Database, request: ExportRequest & { tenant: string }): AsyncGenerator<string> {
  const tenantId = await findTenant(database.db, request.tenant);
  if (!tenantId) throw new Error(`tenant: no tenant "${request.tenant}"`);
  yield* (await createExport(database, tenantId, request)).chunks;
}

async function tenantIdOf(database: Database, tenant: string): Promise<string> {
  const tenantId = await findTenant(database.db, tenant);
  if (!tenantId) throw new Error(`tenant: no tenant "${tenant}"`);
  return tenantId;
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
        listTokens: async (tenant) => listTokens(database.db, tenant === undefined ? null : await tenantIdOf(database, tenant)),
        revokeToken: (id) => revokeToken(database.db, null, id),
        createEnrollmentToken: async ({ tenant, ...input }) => createEnrollmentToken(database.db, await ensureTenant(database.db, tenant), input),
        listEnrollmentTokens: async (tenant) => listEnrollmentTokens(database.db, await tenantIdOf(database, tenant)),
        revokeEnrollmentToken: (id) => revokeEnrollmentToken(database.db, null, id),
        importKb: async (tenant, records, options) =>
          importRecords(database.db, await ensureTenant(database.db, tenant), records, options),
        exportData: (request) => exportFromDatabase(database, request),
        runFlywheel: async (tenant, onProgress) => runFlywheel(database, await tenantIdOf(database, tenant), { onProgress }),
        listModels: async (tenant, kind) => listModels(database, await tenantIdOf(database, tenant), kind),
        promoteModel: async (tenant, id) => promoteModel(database, await tenantIdOf(database, tenant), id),
        rollbackModel: async (tenant, kind) => rollbackModel(database, await tenantIdOf(database, tenant), undefined, kind),
        saveFinetuneJob: async (tenant, record) => saveFinetuneJob(database, await tenantIdOf(database, tenant), record),
        listFinetuneJobs: async (tenant) => listFinetuneJobs(database, await tenantIdOf(database, tenant)),
      });
    } finally {
      await database.close();
    }
  } finally {
    release();
  }
}

