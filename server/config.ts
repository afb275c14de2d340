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
}

/** Reads the environment variables documented in the README. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    host: env.HOST || '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.LOOPDESK_DATA_DIR || join(PROJECT_ROOT, '.data')),
    generation: generationConfigFromEnv(env),
    embedding: embedderConfigFromEnv(env),
    http: httpOptionsFromEnv(env),
    experimentPollSeconds: experimentPollSecondsFromEnv(env),
    flywheelIntervalMs: flywheelIntervalFromEnv(env),
  };
}
