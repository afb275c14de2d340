import type { Context, Hono } from 'hono';
import { EnrollmentTokenCreateRequest, EnrollRequest, type TokenList } from '../lib/contract';
import type { AuthEnv } from './auth';
import { requireRole } from './auth';
import type { Database } from './db/client';
import { readJson } from './http/json-body';
import { createEnrollmentToken, enroll, IdentityError, listEnrollmentTokens, listTokens, revokeEnrollmentToken, revokeToken } from './identity';
import { ensureTenant, findTenant } from './tenancy';

/**
 * Enrollment and token administration: `POST /v1/enroll` (no bearer token; see OPEN_ROUTES in
 * server/auth.ts), and for admins of the token's tenant (the local CLI's credential names one, or
 * acts on any by id): enrollment tokens, the token list and revocation.
 */
export function mountIdentityRoutes(api: Hono<AuthEnv>, database: Database): void {
  const { db } = database;
  const refused = (c: Context<AuthEnv>, err: unknown) => {
    if (err instanceof IdentityError) return c.json({ error: err.message }, err.status);
    throw err;
  };
  /** The tenant an admin route acts on: the token's; the CLI's system credential names it (or none: every tenant). */
  const adminTenant = async (c: Context<AuthEnv>, named: string | undefined, { required }: { required: boolean }) => {
    const principal = c.get('principal');
    if (principal.kind === 'token') {
      if (named !== undefined && named !== principal.tenantSlug) {
        return c.json({ error: 'tenant: an admin can only manage its own tenant' }, 403);
      }
      return principal.tenantId;
    }
    if (named === undefined) return required ? c.json({ error: 'tenant: required for the local CLI' }, 400) : null;
    return (await findTenant(db, named)) ?? c.json({ error: `tenant: no tenant "${named}"` }, 400);
  };

  api.post('/enroll', async (c) => {
    const body = await readJson(c, EnrollRequest);
    if (!body.ok) return body.response;
    try {
      return c.json(await enroll(db, body.data));
    } catch (err) {
      return refused(c, err);
    }
  });

  api.post('/admin/enrollment-tokens', requireRole('admin'), async (c) => {
    const body = await readJson(c, EnrollmentTokenCreateRequest);
    if (!body.ok) return body.response;
    const principal = c.get('principal');
    // The local CLI may name a new tenant, as `loopdesk token create` may.
    const tenantId =
      principal.kind === 'system' && body.data.tenant ? await ensureTenant(db, body.data.tenant) : await adminTenant(c, body.data.tenant, { required: true });
    if (typeof tenantId !== 'string') return tenantId!;
    try {
      const created = await createEnrollmentToken(db, tenantId, {
        ...body.data,
        createdBy: principal.kind === 'token' ? principal.agentId : null,
      });
      return c.json(created, 201);
    } catch (err) {
      return refused(c, err);
    }
  });

  api.get('/admin/enrollment-tokens', requireRole('admin'), async (c) => {
    const tenantId = await adminTenant(c, c.req.query('tenant'), { required: true });
    if (typeof tenantId !== 'string') return tenantId!;
    return c.json({ enrollmentTokens: await listEnrollmentTokens(db, tenantId) });
  });

  api.post('/admin/enrollment-tokens/:id/revoke', requireRole('admin'), async (c) => {
    const tenantId = await adminTenant(c, undefined, { required: false });
    if (tenantId instanceof Response) return tenantId;
    const id = c.req.param('id');
    return (await revokeEnrollmentToken(db, tenantId, id)) ? c.body(null, 204) : c.json({ error: `no enrollment token "${id}"` }, 404);
  });

  api.get('/admin/tokens', requireRole('admin'), async (c) => {
    const tenantId = await adminTenant(c, c.req.query('tenant'), { required: false });
    if (tenantId instanceof Response) return tenantId;
    const answer: TokenList = { tokens: await listTokens(db, tenantId) };
    return c.json(answer);
  });

  api.delete('/admin/tokens/:id', requireRole('admin'), async (c) => {
    const tenantId = await adminTenant(c, undefined, { required: false });
    if (tenantId instanceof Response) return tenantId;
    const id = c.req.param('id');
    return (await revokeToken(db, tenantId, id)) ? c.body(null, 204) : c.json({ error: `no token "${id}"` }, 404);
  });
}
