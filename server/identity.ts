import { and, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { EnrollmentTokenSummary, EnrollRequest, EnrollResponse, Role, TokenSummary } from '../lib/contract';
import { hashToken, newToken } from './auth';
import type { Db } from './db/client';
import { agents, apiTokens, enrollmentTokens, teams, tenants } from './db/schema';
import { ensureTeam } from './tenancy';

/** A refused identity request: the status is the HTTP answer's. */
export class IdentityError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Creates an enrollment token for a team of the tenant (creating the team if needed). Like API
 * tokens it is stored only as its SHA-256 hash; the plaintext is returned once.
 */
export async function createEnrollmentToken(
  db: Db,
  tenantId: string,
  input: { team: string; role: 'agent' | 'lead'; expiresAt?: string; maxUses?: number; createdBy?: string | null },
): Promise<{ id: string; token: string }> {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw new IdentityError(400, 'expiresAt: must be in the future');
  const teamId = await ensureTeam(db, tenantId, input.team);
  const token = `lde_${newToken().slice(3)}`;
  const [row] = await db
    .insert(enrollmentTokens)
    .values({
      tokenHash: hashToken(token),
      tenantId,
      teamId,
      role: input.role,
      expiresAt,
      maxUses: input.maxUses ?? null,
      createdBy: input.createdBy ?? null,
    })
    .returning({ id: enrollmentTokens.id });
  return { id: row!.id, token };
}

export async function listEnrollmentTokens(db: Db, tenantId: string): Promise<EnrollmentTokenSummary[]> {
  const rows = await db
    .select({ row: enrollmentTokens, team: teams.slug })
    .from(enrollmentTokens)
    .innerJoin(teams, eq(teams.id, enrollmentTokens.teamId))
    .where(eq(enrollmentTokens.tenantId, tenantId))
    .orderBy(desc(enrollmentTokens.createdAt));
  return rows.map(({ row, team }) => ({
    id: row.id,
    team,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    maxUses: row.maxUses,
    uses: row.uses,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Revokes an enrollment token of the tenant (any tenant's when `tenantId` is null: the local CLI).
 * Tokens already exchanged for it stay valid; revoke those one by one. False when there is none.
 */
export async function revokeEnrollmentToken(db: Db, tenantId: string | null, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const scope = tenantId ? and(eq(enrollmentTokens.id, id), eq(enrollmentTokens.tenantId, tenantId)) : eq(enrollmentTokens.id, id);
  const [row] = await db.select({ revokedAt: enrollmentTokens.revokedAt }).from(enrollmentTokens).where(scope);
  if (!row) return false;
  if (!row.revokedAt) await db.update(enrollmentTokens).set({ revokedAt: new Date() }).where(and(scope, isNull(enrollmentTokens.revokedAt)));
  return true;
}

/** API tokens of a tenant (every tenant's for the local CLI), newest first, without their secrets. */
export async function listTokens(db: Db, tenantId: string | null): Promise<TokenSummary[]> {
  const rows = await db
    .select({
      id: apiTokens.id,
      agent: agents.name,
      displayName: agents.displayName,
      team: teams.slug,
      role: apiTokens.role,
      enrollmentTokenId: apiTokens.enrollmentTokenId,
      createdAt: apiTokens.createdAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(agents, eq(agents.id, apiTokens.agentId))
    .innerJoin(teams, eq(teams.id, apiTokens.teamId))
    .where(tenantId ? eq(apiTokens.tenantId, tenantId) : undefined)
    .orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), revokedAt: r.revokedAt?.toISOString() ?? null }));
}

/**
 * Revokes an API token of the tenant (any tenant's for the local CLI). Authentication reads the
 * database on every request, so the token answers 401 from the next request on. False when there
 * is no such token; revoking a revoked token keeps its first revocation time.
 */
export async function revokeToken(db: Db, tenantId: string | null, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const scope = tenantId ? and(eq(apiTokens.id, id), eq(apiTokens.tenantId, tenantId)) : eq(apiTokens.id, id);
  const [row] = await db.select({ id: apiTokens.id }).from(apiTokens).where(scope);
  if (!row) return false;
  await db.update(apiTokens).set({ revokedAt: new Date() }).where(and(scope, isNull(apiTokens.revokedAt)));
  return true;
}

/** The stable key of a helpdesk identity: the helpdesk's user id, else the (lower-cased) email. */
export function externalIdOf(identity: EnrollRequest['helpdeskIdentity']): string {
  return identity.agentId !== undefined ? `id:${identity.agentId}` : `email:${identity.email}`;
}

/**
 * Exchanges an enrollment token for an API token of the agent the helpdesk identity names, in the
 * enrollment token's tenant and team with its role. The same identity always maps to the same
 * agent (moved to this token's team if it was in another). One use is counted atomically, so
 * `maxUses` holds under concurrent exchanges; nothing is counted when the exchange fails. With a
 * `deviceId`, the agent's earlier enrolled tokens from that same browser are revoked; tokens of
 * the agent's other browsers, and tokens an admin created, are kept.
 */
export async function enroll(db: Db, request: EnrollRequest): Promise<EnrollResponse> {
  const tokenHash = hashToken(request.enrollmentToken);
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(enrollmentTokens)
      .set({ uses: sql`${enrollmentTokens.uses} + 1` })
      .where(
        and(
          eq(enrollmentTokens.tokenHash, tokenHash),
          isNull(enrollmentTokens.revokedAt),
          sql`(${enrollmentTokens.expiresAt} is null or ${enrollmentTokens.expiresAt} > now())`,
          sql`(${enrollmentTokens.maxUses} is null or ${enrollmentTokens.uses} < ${enrollmentTokens.maxUses})`,
        ),
      )
      .returning();
    if (!claimed) {
      const [known] = await tx.select().from(enrollmentTokens).where(eq(enrollmentTokens.tokenHash, tokenHash));
      if (!known) throw new IdentityError(401, 'enrollmentToken: unknown enrollment token');
      if (known.revokedAt) throw new IdentityError(401, 'enrollmentToken: this enrollment token was revoked');
      if (known.maxUses !== null && known.uses >= known.maxUses) {
        throw new IdentityError(401, `enrollmentToken: this enrollment token has been used its ${known.maxUses} times`);
      }
      throw new IdentityError(401, 'enrollmentToken: this enrollment token has expired');
    }
    const identity = request.helpdeskIdentity;
    const externalId = externalIdOf(identity);
    const name = `${request.helpdesk}:${externalId.replace(/^id:/, '')}`;
    const [agent] = await tx
      .insert(agents)
      .values({ tenantId: claimed.tenantId, teamId: claimed.teamId, name, helpdesk: request.helpdesk, externalId, displayName: identity.name })
      .onConflictDoUpdate({
        target: [agents.tenantId, agents.helpdesk, agents.externalId],
        set: { teamId: claimed.teamId, displayName: identity.name },
      })
      .returning({ id: agents.id, name: agents.name })
      .catch((err: unknown) => {
        // Another agent (one an admin created) already has this name.
        if (isUniqueViolation(err)) throw new IdentityError(409, `helpdeskIdentity: the name "${name}" is taken by another agent of this tenant`);
        throw err;
      });
    if (request.deviceId) {
      await tx
        .update(apiTokens)
        .set({ revokedAt: new Date() })
        .where(
          and(
            eq(apiTokens.agentId, agent!.id),
            eq(apiTokens.deviceId, request.deviceId),
            isNotNull(apiTokens.enrollmentTokenId),
            isNull(apiTokens.revokedAt),
          ),
        );
    }
    const token = newToken();
    await tx.insert(apiTokens).values({
      tokenHash: hashToken(token),
      tenantId: claimed.tenantId,
      teamId: claimed.teamId,
      agentId: agent!.id,
      role: claimed.role as Role,
      enrollmentTokenId: claimed.id,
      deviceId: request.deviceId ?? null,
    });
    const [names] = await tx
      .select({ tenant: tenants.slug, team: teams.slug })
      .from(teams)
      .innerJoin(tenants, eq(tenants.id, teams.tenantId))
      .where(eq(teams.id, claimed.teamId));
    return { token, tenant: names!.tenant, team: names!.team, agent: agent!.name, role: claimed.role as Role };
  });
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === '23505') return true;
  }
  return false;
}
