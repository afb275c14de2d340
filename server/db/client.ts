import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Whether the `vector` extension is there and its tables are migrated (dense retrieval possible). */
  vector: boolean;
  /** Runs raw SQL and returns its rows (the same shape on PGlite and PostgreSQL). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL connection string; when absent an embedded PGlite database is used. */
  databaseUrl?: string;
  /** Folder for PGlite's files; `memory://` for a throwaway database. */
  dataDir?: string;
  /** PostgreSQL schema to create and use (each test file gets its own). */
  pgSchema?: string;
  /**
   * Set up dense retrieval where the `vector` extension exists: PGlite then loads pgvector (it costs
   * start-up time and memory, so only when embeddings are configured).
   */
  vector?: boolean;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const VECTOR_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations-vector');

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const database = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.pgSchema)
    : await openPglite(options.dataDir ?? 'memory://', options.vector ?? false);
  await migrate(database);
  if (options.vector) {
    const [available] = await database.query('select 1 from pg_available_extensions where name = $1', ['vector']);
    if (available) {
      await migrate(database, VECTOR_MIGRATIONS_DIR, 'loopdesk_vector_migrations');
      database.vector = true;
    } else {
      console.warn('the database has no `vector` extension: dense retrieval is off, lexical retrieval serves alone');
    }
  }
  return database;
}

async function openPglite(dataDir: string, withVector: boolean): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  let location = dataDir;
  if (!dataDir.startsWith('memory://')) {
    // PGlite's own files go in a subfolder, beside the lock and the demo token.
    location = join(dataDir, 'pgdata');
    mkdirSync(location, { recursive: true });
  }
  const client = withVector
    ? await PGlite.create(location, { extensions: { vector: (await import('@electric-sql/pglite-pgvector')).vector } })
    : await PGlite.create(location);
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    vector: false,
    query: async (text, params) => (await client.query(text, params as unknown[])).rows as never,
    close: () => client.close(),
  };
}

async function openPostgres(url: string, pgSchema?: string): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  if (pgSchema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(pgSchema)) throw new Error(`invalid schema name ${pgSchema}`);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema if not exists ${pgSchema}`);
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(pgSchema ? { options: `-c search_path=${pgSchema}` } : {}),
  });
  // Fail fast with a clear message instead of on the first request.
  await pool.query('select 1').catch((err: Error) => {
    throw new Error(`cannot connect to PostgreSQL at DATABASE_URL: ${err.message}`);
  });
  const db = drizzle(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    vector: false,
    query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
    close: () => pool.end(),
  };
}

interface Journal {
  entries: { idx: number; tag: string }[];
}

/**
 * Applies drizzle-kit's generated migrations in order, each in its own transaction, and names the
 * failing statement on error (drizzle-kit's own migrate exits silently). Works unchanged on PGlite
 * and PostgreSQL, in whatever schema the connection's search_path points at.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR, table = 'loopdesk_migrations'): Promise<void> {
  const journal = JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')) as Journal;
  await database.query(`create table if not exists ${table} (tag text primary key, applied_at timestamptz not null default now())`);
  const applied = new Set((await database.query<{ tag: string }>(`select tag from ${table}`)).map((r) => r.tag));
  for (const entry of journal.entries.sort((a, b) => a.idx - b.idx)) {
    if (applied.has(entry.tag)) continue;
    const statements = readFileSync(join(dir, `${entry.tag}.sql`), 'utf8')
      // drizzle-kit qualifies references with "public"; dropping it lets the same migrations build
      // the schema in whatever schema search_path names (each PostgreSQL test file has its own).
      .replaceAll('"public".', '')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await database.db.transaction(async (tx) => {
      for (const statement of statements) {
        try {
          await tx.execute(sql.raw(statement));
        } catch (err) {
          throw new Error(`migration ${entry.tag} failed at:\n${statement}\n${(err as Error).message}`);
        }
      }
      await tx.execute(sql`insert into ${sql.raw(table)} (tag) values (${entry.tag})`);
    });
  }
}
