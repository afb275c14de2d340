import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './config';
import type { Database } from './db/client';
import { principalForToken } from './auth';
import { importJsonlFile } from './kb/import';
import { createToken, ensureTenant } from './tenancy';
import { readTextIfExists, writeSecretFile } from './files';

export const DEMO = { tenant: 'demo', team: 'support', agent: 'demo-agent' } as const;
export const DEMO_KB_FILE = join(PROJECT_ROOT, 'demo', 'kb', 'articles.jsonl');

/**
 * Seeds the demo tenant's knowledge base and agent. Idempotent: unchanged articles are skipped and
 * the token saved from an earlier start is reused while it is still valid. Returns the agent token.
 */
export async function seedDemo(database: Database, tokenFile: string): Promise<string> {
  const tenantId = await ensureTenant(database.db, DEMO.tenant);
  const summary = await importJsonlFile(database.db, tenantId, DEMO_KB_FILE);
  if (summary.skipped.length) throw new Error(`demo KB has bad lines: ${JSON.stringify(summary.skipped)}`);
  const saved = readTextIfExists(tokenFile);
  if (saved) {
    const principal = await principalForToken(database.db, saved);
    if (principal?.kind === 'token' && principal.tenantId === tenantId) return saved;
  }
  const token = await createToken(database.db, { tenant: DEMO.tenant, team: DEMO.team, name: DEMO.agent, role: 'agent' });
  mkdirSync(dirname(tokenFile), { recursive: true });
  writeSecretFile(tokenFile, token);
  return token;
}
