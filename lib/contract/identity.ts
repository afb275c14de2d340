import { z } from 'zod';
import { Helpdesk, Role, Slug } from './common';

/** `POST /v1/admin/enrollment-tokens` (admin): one token a whole team's browsers enroll with. */
export const EnrollmentTokenCreateRequest = z.object({
  /** The tenant; only the local CLI's credential needs it (an admin's token names its own, and may name no other). */
  tenant: Slug.optional(),
  team: Slug,
  /** The role of the agent tokens it is exchanged for: `agent` (default) or `lead`, never `admin`. */
  role: z.enum(['agent', 'lead']).default('agent'),
  /** ISO 8601 date-time after which it no longer enrolls anyone; absent: no expiry. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** How many exchanges it allows (every exchange counts, re-enrollments too); absent: no limit. */
  maxUses: z.int().min(1).max(1_000_000).optional(),
});
export type EnrollmentTokenCreateRequest = z.input<typeof EnrollmentTokenCreateRequest>;

export const EnrollmentTokenCreateResponse = z.object({ id: z.string(), token: z.string() });
export type EnrollmentTokenCreateResponse = z.infer<typeof EnrollmentTokenCreateResponse>;

export const EnrollmentTokenSummary = z.object({
  id: z.string(),
  team: z.string(),
  role: Role,
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  maxUses: z.int().nullable(),
  uses: z.int(),
  revokedAt: z.string().nullable(),
});
export type EnrollmentTokenSummary = z.infer<typeof EnrollmentTokenSummary>;

/**
 * The agent as the helpdesk knows it. `agentId` (the helpdesk's user id) or `email` identifies
 * them: the same identity enrolls into the same Loopdesk agent again; `name` is only shown.
 */
export const HelpdeskIdentity = z
  .object({
    agentId: z.string().trim().min(1).max(200).optional(),
    email: z.string().trim().toLowerCase().pipe(z.email()).optional(),
    name: z.string().trim().min(1).max(200),
  })
  .refine((identity) => identity.agentId !== undefined || identity.email !== undefined, {
    message: 'an agentId or an email is needed to tell agents apart',
  });
export type HelpdeskIdentity = z.infer<typeof HelpdeskIdentity>;

/** `POST /v1/enroll` (no bearer token): an enrollment token exchanged for the agent's own API token. */
export const EnrollRequest = z.object({
  enrollmentToken: z.string().trim().min(1).max(200),
  helpdesk: Helpdesk,
  helpdeskIdentity: HelpdeskIdentity,
  /** The browser's own random id; re-enrolling the same agent from it revokes its previous token. */
  deviceId: z.string().trim().min(8).max(100).optional(),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.object({
  token: z.string(),
  tenant: z.string(),
  team: z.string(),
  /** The Loopdesk agent's name (`<helpdesk>:<id>`), as `/v1/me` and the audit log show it. */
  agent: z.string(),
  role: Role,
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

/** `GET /v1/admin/tokens` (admin): API tokens of the tenant, never their secrets. */
export const TokenSummary = z.object({
  id: z.string(),
  agent: z.string(),
  /** The helpdesk's name for an enrolled agent; null otherwise. */
  displayName: z.string().nullable(),
  team: z.string(),
  role: Role,
  /** The enrollment token it came from; null for a token an admin created. */
  enrollmentTokenId: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type TokenSummary = z.infer<typeof TokenSummary>;

export const TokenList = z.object({ tokens: z.array(TokenSummary) });
export type TokenList = z.infer<typeof TokenList>;

/** What the popup shows about enrollment (lib/enrollment.ts). */
export type EnrollmentView =
  /** No enrollment token in the policy. */
  | { state: 'not-used' }
  /** A token set by policy or in the options is used instead. */
  | { state: 'shared-token' }
  /** Waiting for a helpdesk page to show who the agent is. */
  | { state: 'waiting' }
  | { state: 'enrolled'; tenant: string; team: string; agent: string; displayName?: string; at: string }
  | { state: 'failed'; error: string; at: string }
  /** The server refused the enrolled token (an admin revoked it). */
  | { state: 'revoked'; agent: string; at: string };
