import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { roleAtLeast, type Role } from '../lib/contract';
import type { Db } from './db/client';
import { apiTokens, agents, teams, tenants } from './db/schema';
import { findTenant } from './tenancy';

/** Who is calling. `system` is the local CLI talking to its own server through the data-dir lock. */
export type Principal =
  | {
      kind: 'token';
      tenantId: string;
      tenantSlug: string;
      teamId: string;
      teamSlug: string;
      agentId: string;
      agentName: string;
      role: Role;
    }
  | { kind: 'system' };

export type AuthEnv = { Variables: { principal: Principal } };

export function newToken(): string {
  return `ld_${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function principalForToken(db: Db, token: string): Promise<Principal | null> {
  const rows = await db
    .select({
      tenantId: apiTokens.tenantId,
      tenantSlug: tenants.slug,
      teamId: apiTokens.teamId,
      teamSlug: teams.slug,
      agentId: apiTokens.agentId,
      agentName: agents.name,
      role: apiTokens.role,
    })
    .from(apiTokens)
    .innerJoin(tenants, eq(tenants.id, apiTokens.tenantId))
    .innerJoin(teams, eq(teams.id, apiTokens.teamId))
    .innerJoin(agents, eq(agents.id, apiTokens.agentId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  return row ? { kind: 'token', ...row } : null;
}

/** The routes that take no bearer token (method and path under `/v1`). */
const OPEN_ROUTES = new Set(['POST /v1/enroll']);

/**
 * 401 for a missing or unknown bearer token; sets `principal` otherwise. The open routes
 * (enrollment, which exchanges a secret of its own) get no principal at all.
 */
export function authenticate(db: Db, systemToken: string | undefined): MiddlewareHandler<AuthEnv> {
  const systemDigest = systemToken ? createHash('sha256').update(systemToken).digest() : undefined;
  return async (c, next) => {
    if (OPEN_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return c.json({ error: 'missing bearer token' }, 401);
    const token = match[1];
    if (systemDigest && timingSafeEqual(createHash('sha256').update(token).digest(), systemDigest)) {
      c.set('principal', { kind: 'system' });
      return next();
    }
    const principal = await principalForToken(db, token);
    if (!principal) return c.json({ error: 'unknown or revoked token' }, 401);
    c.set('principal', principal);
    return next();
  };
}

/** 403 unless the caller's role nests the one required (admin ⊃ lead ⊃ agent). */
export function requireRole(role: Role): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal.kind === 'system' || roleAtLeast(principal.role, role)) return next();
    return c.json({ error: `this needs the ${role} role; the token has ${principal.role}` }, 403);
  };
}

/** Tenant-scoped routes need a real agent identity; the system credential only administers. */
export function requireAgentIdentity(): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (c.get('principal').kind === 'system') return c.json({ error: 'this route needs an agent token' }, 403);
    return next();
  };
}

/**
 * The tenant a lead/admin route acts on: a token's own tenant, or for the local CLI's system
 * credential the one it names (`?tenant=`). A token naming another tenant is refused (403), so a
 * leaked lead token never reads past its own tenant. Returns the tenant id, or the error response.
 */
export async function tenantOfRequest(
  c: Context<AuthEnv>,
  db: Db,
  requested: string | undefined,
): Promise<{ tenantId: string } | { response: Response }> {
  const principal = c.get('principal');
  if (principal.kind === 'system') {
    if (!requested) return { response: c.json({ error: 'tenant: required query parameter' }, 400) };
    const found = await findTenant(db, requested);
    return found ? { tenantId: found } : { response: c.json({ error: `tenant: no tenant "${requested}"` }, 400) };
  }
  if (requested && requested !== principal.tenantSlug) {
    return { response: c.json({ error: 'tenant: a token can only act on its own tenant' }, 403) };
  }
  return { tenantId: principal.tenantId };
}
