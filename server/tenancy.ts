import { and, eq } from 'drizzle-orm';
import type { Role } from '../lib/contract';
import { hashToken, newToken } from './auth';
import type { Db } from './db/client';
import { agents, apiTokens, teams, tenants } from './db/schema';

export async function ensureTenant(db: Db, slug: string): Promise<string> {
  await db.insert(tenants).values({ slug }).onConflictDoNothing();
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, slug));
  return row!.id;
}

export async function findTenant(db: Db, slug: string): Promise<string | undefined> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.slug, slug));
  return row?.id;
}

export async function ensureTeam(db: Db, tenantId: string, slug: string): Promise<string> {
  await db.insert(teams).values({ tenantId, slug }).onConflictDoNothing();
  const [row] = await db
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.tenantId, tenantId), eq(teams.slug, slug)));
  return row!.id;
}

async function ensureAgent(db: Db, tenantId: string, teamId: string, name: string): Promise<string> {
  await db.insert(agents).values({ tenantId, teamId, name }).onConflictDoNothing();
  const [row] = await db
    .select({ id: agents.id, teamId: agents.teamId })
    .from(agents)
    .where(and(eq(agents.tenantId, tenantId), eq(agents.name, name)));
  if (row!.teamId !== teamId) throw new Error(`agent "${name}" already belongs to another team of this tenant`);
  return row!.id;
}

/**
 * Creates a token for an agent, creating the tenant, team and agent when they do not exist yet.
 * Returns the plaintext token, which is never stored.
 */
export async function createToken(
  db: Db,
  input: { tenant: string; team: string; name: string; role: Role },
): Promise<string> {
  const tenantId = await ensureTenant(db, input.tenant);
  const teamId = await ensureTeam(db, tenantId, input.team);
  const agentId = await ensureAgent(db, tenantId, teamId, input.name);
  const token = newToken();
  await db.insert(apiTokens).values({ tokenHash: hashToken(token), tenantId, teamId, agentId, role: input.role });
  return token;
}
