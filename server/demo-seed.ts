import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './config';
import { ExperimentInput, type Role } from '../lib/contract';
import type { Database } from './db/client';
import { principalForToken } from './auth';
import { importJsonlFile } from './kb/import';
import { createExperiment, getExperiment, listRunningExperiments, updateExperiment, type Actor } from './experiments/store';
import { seedDemoExperimentEvents } from './experiments/demo-events';
import { createToken, ensureTenant } from './tenancy';
import { readTextIfExists, writeSecretFile } from './files';

export const DEMO = { tenant: 'demo', team: 'support', agent: 'demo-agent', lead: 'demo-lead' } as const;
export const DEMO_KB_FILE = join(PROJECT_ROOT, 'demo', 'kb', 'articles.jsonl');

/**
 * Seeds the demo tenant's knowledge base and agent. Idempotent: unchanged articles are skipped and
 * the token saved from an earlier start is reused while it is still valid. Returns the agent token.
 */
export async function seedDemo(database: Database, tokenFile: string): Promise<string> {
  const tenantId = await ensureTenant(database.db, DEMO.tenant);
  const summary = await importJsonlFile(database.db, tenantId, DEMO_KB_FILE);
  if (summary.skipped.length) throw new Error(`demo KB has bad lines: ${JSON.stringify(summary.skipped)}`);
  return savedOrNewToken(database, tenantId, tokenFile, { name: DEMO.agent, role: 'agent' });
}

/** The token in `file` while it still belongs to the tenant; otherwise a new one, saved there. */
async function savedOrNewToken(database: Database, tenantId: string, file: string, who: { name: string; role: Role }): Promise<string> {
  const saved = readTextIfExists(file);
  if (saved) {
    const principal = await principalForToken(database.db, saved);
    if (principal?.kind === 'token' && principal.tenantId === tenantId) return saved;
  }
  const token = await createToken(database.db, { tenant: DEMO.tenant, team: DEMO.team, name: who.name, role: who.role });
  mkdirSync(dirname(file), { recursive: true });
  writeSecretFile(file, token);
  return token;
}

/** The demo's experiment: three reply recipes, compared side by side. */
export const DEMO_EXPERIMENT = {
  key: 'reply-tone',
  description: 'Short and factual, warm, or warm with more of the article: which reply do agents use and prefer?',
  mode: 'pairwise',
  // Paused, so that the demo agent sees the baseline until a lead resumes it in the dashboard.
  status: 'paused',
  trafficShare: 1,
  annotationSampling: 0.5,
  // The demo lead's own team: a lead changes only experiments of the lead's team.
  teams: ['support'],
  controlArm: 'concise',
  arms: [
    { name: 'concise', generation: { model: 'extractive-v1', promptVersion: 'concise-v1', temperature: 0.2, maxTokens: 400 }, reranker: 'promoted', retrieval: { k: 8 } },
    { name: 'warm', generation: { model: 'extractive-v1', promptVersion: 'warm-v1', temperature: 0.7, maxTokens: 500 }, reranker: 'promoted', retrieval: { k: 8 } },
    { name: 'warm-long', generation: { model: 'extractive-v1', promptVersion: 'warm-v1', temperature: 0.7, maxTokens: 900 }, reranker: 'promoted', retrieval: { k: 8 } },
  ],
} as const satisfies ExperimentInput;

/**
 * What makes the leads' dashboard meaningful on a first `npm start`: a lead token (saved beside the
 * agent's) and the demo experiment with 30 days of generated traffic behind it. Idempotent: the
 * experiment and its events are made once. Returns the lead token.
 */
export async function seedDemoHistory(database: Database, leadTokenFile: string): Promise<string> {
  const tenantId = await ensureTenant(database.db, DEMO.tenant);
  const leadToken = await savedOrNewToken(database, tenantId, leadTokenFile, { name: DEMO.lead, role: 'lead' });
  if (!(await getExperiment(database, tenantId, DEMO_EXPERIMENT.key))) {
    const lead = await principalForToken(database.db, leadToken);
    if (lead?.kind !== 'token') throw new Error('the demo lead token does not resolve');
    const actor: Actor = { agentId: lead.agentId, name: DEMO.lead, role: 'lead', team: DEMO.team };
    // It ran for the 30 days of history and is paused now (a draft when something else runs).
    const othersRunning = (await listRunningExperiments(database, tenantId)).length > 0;
    await createExperiment(database, tenantId, ExperimentInput.parse({ ...DEMO_EXPERIMENT, status: othersRunning ? 'draft' : 'running' }), actor);
    if (!othersRunning) await updateExperiment(database, tenantId, DEMO_EXPERIMENT.key, { status: 'paused' }, actor);
  }
  const experiment = (await getExperiment(database, tenantId, DEMO_EXPERIMENT.key))!;
  await seedDemoExperimentEvents(database, tenantId, {
    experimentKey: experiment.key,
    arms: experiment.arms.map((arm) => arm.name),
    mode: experiment.mode,
    days: 30,
    perDay: 120,
    seed: 7,
  });
  return leadToken;
}
