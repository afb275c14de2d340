import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimentPollSecondsFromEnv } from './experiments/config';
import { flywheelIntervalFromEnv } from './flywheel/schedule';
import { generationConfigFromEnv, type GenerationConfig } from './generation/profiles';
import { httpOptionsFromEnv, type HttpOptions } from './http';
import { embedderConfigFromEnv, type EmbedderConfig } from './retrieval/embeddings';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerConfig {
  host: string;
  port: number;
  /** PostgreSQL when set; otherwise PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Language model and generation profiles; absent means offline (extractive for both arms). */
  generation?: GenerationConfig;
  /** Embedding endpoint for dense retrieval; absent means lexical retrieval alone. */
  embedding?: EmbedderConfig | null;
  /**
   * Rate limits, extension origins, metrics token and access log (`LOOPDESK_RATE_LIMIT*`,
   * `LOOPDESK_EXTENSION_ORIGINS`, `LOOPDESK_METRICS_TOKEN`, `LOOPDESK_ACCESS_LOG`). Absent — a server
   * started from code, as tests and benchmarks do — means no rate limits and no access log.
   */
  http?: HttpOptions;
  /** How often extensions ask for their experiment assignment (`LOOPDESK_EXPERIMENT_POLL_SECONDS`, 30 by default). */
  experimentPollSeconds?: number;
  /** How often the server runs the flywheel for every tenant (`LOOPDESK_FLYWHEEL_INTERVAL`); null or absent: never by itself. */
  flywheelIntervalMs?: number | null;
  /**
   * Where `loopdesk extension pack` writes the signed CRX that `/extension/updates.xml` offers
   * (`LOOPDESK_EXTENSION_DIR`); absent: `<dataDir>/extension`.
   */
  extensionDir?: string;
  /** The URL browsers reach this server at, for links it hands out (`LOOPDESK_PUBLIC_URL`); absent: the request's origin. */
  publicUrl?: string;
}

/** The extension directory of LOOPDESK_EXTENSION_DIR, or `<dataDir>/extension`. */
export function extensionDirFromEnv(env: NodeJS.ProcessEnv = process.env, dataDir = dataDirFromEnv(env)): string {
  return resolve(env.LOOPDESK_EXTENSION_DIR || join(dataDir, 'extension'));
}

function dataDirFromEnv(env: NodeJS.ProcessEnv): string {
  return resolve(env.LOOPDESK_DATA_DIR || join(PROJECT_ROOT, '.data'));
}

function publicUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.LOOPDESK_PUBLIC_URL;
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`LOOPDESK_PUBLIC_URL must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`LOOPDESK_PUBLIC_URL must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** Reads the environment variables documented in the README. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    host: env.HOST || '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: dataDirFromEnv(env),
    extensionDir: extensionDirFromEnv(env),
    publicUrl: publicUrlFromEnv(env),
    generation: generationConfigFromEnv(env),
    embedding: embedderConfigFromEnv(env),
    http: httpOptionsFromEnv(env),
    experimentPollSeconds: experimentPollSecondsFromEnv(env),
    flywheelIntervalMs: flywheelIntervalFromEnv(env),
  };
}
