import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from './app';
import { createRetriever, type Retriever } from './retrieval';
import { createEmbedder } from './retrieval/embeddings';
import { type ServerConfig, PROJECT_ROOT } from './config';
import { openDatabase, type Database } from './db/client';
import { acquireLock, newSystemToken, updateLock } from './runtime';
import { seedDemo, seedDemoHistory } from './demo-seed';
import { startFlywheelSchedule } from './flywheel/schedule';
import { mountDashboard } from './dashboard';
import { mountExtensionDistribution } from './extension-pack/routes';
import { DEMO_SIGNED_IN_AGENT } from '../demo/signed-in-agent';
import { createDemoApp } from '../demo/routes';
import { loadDemoTickets } from '../demo/tickets';

export interface RunningServer {
  url: string;
  database: Database;
  retriever: Retriever;
  /** The demo agent's token when started with the demo. */
  demoToken?: string;
  /** With `demoHistory`: a lead token for the dashboard. */
  demoLeadToken?: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Mount the demo helpdesk at /demo and seed the demo tenant, KB and agent. */
  demo?: boolean;
  /**
   * With `demo`: also a lead token and the demo experiment with 30 days of generated events, so the
   * leads' dashboard has something to show on a first `npm start`. Tests leave it off: they count
   * the events they make.
   */
  demoHistory?: boolean;
  /** PostgreSQL schema (tests give each file its own). */
  pgSchema?: string;
}

export const DEMO_ASSETS_DIR = join(PROJECT_ROOT, '.output', 'demo');

export async function startServer(config: ServerConfig, options: ServeOptions = {}): Promise<RunningServer> {
  const releaseLock = config.databaseUrl ? () => {} : acquireLock(config.dataDir);
  let database: Database;
  try {
    database = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      pgSchema: options.pgSchema,
      vector: Boolean(config.embedding),
    });
  } catch (err) {
    releaseLock();
    throw err;
  }
  const systemToken = newSystemToken();
  let demoToken: string | undefined;
  let demoLeadToken: string | undefined;
  if (options.demo) {
    if (!existsSync(join(DEMO_ASSETS_DIR, 'app.js'))) {
      console.warn(`demo assets missing in ${DEMO_ASSETS_DIR}: run \`npm run build\` first`);
    }
    demoToken = await seedDemo(database, demoTokenFile(config));
    if (options.demoHistory) demoLeadToken = await seedDemoHistory(database, join(config.dataDir, 'demo-lead-token.txt'));
  }
  const retriever = createRetriever(
    database,
    config.embedding ? { embedder: createEmbedder(config.embedding), model: config.embedding.model } : undefined,
  );
  const app = createApp({
    database,
    retriever,
    generation: config.generation,
    http: config.http,
    experimentPollSeconds: config.experimentPollSeconds,
    systemToken: config.databaseUrl ? undefined : systemToken,
    mount: (root) => {
      // The team leads' dashboard is part of every server, demo or not.
      mountDashboard(root);
      mountExtensionDistribution(root, { dir: config.extensionDir ?? join(config.dataDir, 'extension'), publicUrl: config.publicUrl });
      if (options.demo) {
        root.route('/demo', createDemoApp({ tickets: loadDemoTickets(), assetsDir: DEMO_ASSETS_DIR }));
        // Zendesk's "Show Self" at the origin's root, as on a real Zendesk host: the extension asks
        // it who is signed in when it enrolls (lib/helpdesks/agent-identity.ts).
        root.get('/api/v2/users/me.json', (c) => c.json({ user: DEMO_SIGNED_IN_AGENT }));
      }
    },
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  // Longer than any client's or load balancer's idle timeout, so the server is never the side that
  // closes a kept-alive connection just as a request is sent on it (seen as ECONNRESET by clients).
  if ('keepAliveTimeout' in server) {
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (!config.databaseUrl) updateLock(config.dataDir, { url, systemToken });
  // Chunks imported while dense search was off (or by the CLI alone) get their embeddings now.
  const indexed = retriever.indexPending().catch((err: Error) => {
    console.error(JSON.stringify({ level: 'error', msg: `embedding the knowledge base failed: ${err.message}` }));
    return 0;
  });
  // Learning on a schedule, when configured: cycles never overlap, promotions reach this server at once.
  const flywheel = config.flywheelIntervalMs
    ? startFlywheelSchedule(database, { intervalMs: config.flywheelIntervalMs, cache: retriever.models })
    : null;
  let closed = false;
  return {
    url,
    database,
    retriever,
    demoToken,
    demoLeadToken,
    async close() {
      await indexed;
      if (closed) return;
      closed = true;
      await flywheel?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      releaseLock();
    },
  };
}

/**
 * The demo token is kept in plaintext in the data directory so that `npm start` prints the same token
 * every time; it is a demo convenience only (real tokens are stored hashed and shown once).
 */
function demoTokenFile(config: ServerConfig): string {
  return join(config.dataDir, 'demo-token.txt');
}
