import { storage } from 'wxt/utils/storage';
import { describeIssues, EnrollResponse, type EnrollmentView, type Helpdesk, type HelpdeskIdentity } from './contract';
import type { EffectiveSettings } from './settings';

/**
 * Enrollment: with an enrollment token (from policy) and no token of its own, the extension
 * exchanges the enrollment token for this agent's own API token once the helpdesk page has shown
 * who the agent is. The agent token is kept here in storage.local, never in the policy area or the
 * agent's own settings, and is used from then on. A token set by policy or in the options (a shared
 * token) always wins. Only the background worker calls this module's functions that talk to the server.
 */
export interface EnrollmentState {
  /** Which server and which enrollment token (by its SHA-256) the agent token belongs to. */
  serverUrl: string;
  enrollmentTokenSha256: string;
  /** `revoked`: the server answered 401 to the agent token; it is not enrolled again by itself. */
  status: 'enrolled' | 'failed' | 'revoked';
  /** The agent token; only when enrolled. */
  token?: string;
  /** What the server said: tenant, team and the Loopdesk agent's name. */
  tenant?: string;
  team?: string;
  agent?: string;
  /** The helpdesk's name for the agent, shown in the popup. */
  displayName?: string;
  at: string;
  /** Why enrolling failed; it is tried again on the next helpdesk page after `retryAfter`. */
  error?: string;
  retryAfter?: string;
}

export const enrollmentItem = storage.defineItem<EnrollmentState | null>('local:enrollment', { fallback: null });

/** This browser's own random id, so that re-enrolling from it replaces its earlier token only. */
const deviceIdItem = storage.defineItem<string | null>('local:deviceId', { fallback: null });

/** How long a failed enrollment waits before the next helpdesk page tries again. */
export const ENROLL_RETRY_MS = 5 * 60_000;
const ENROLL_TIMEOUT_MS = 10_000;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function deviceId(): Promise<string> {
  const existing = await deviceIdItem.getValue();
  if (existing) return existing;
  const fresh = crypto.randomUUID();
  await deviceIdItem.setValue(fresh);
  return fresh;
}

/** The stored state when it belongs to these settings' server and enrollment token; null otherwise. */
export async function currentEnrollment(settings: Pick<EffectiveSettings, 'serverUrl' | 'enrollmentToken'>): Promise<EnrollmentState | null> {
  if (!settings.enrollmentToken) return null;
  const state = await enrollmentItem.getValue();
  if (!state || state.serverUrl !== settings.serverUrl) return null;
  return state.enrollmentTokenSha256 === (await sha256Hex(settings.enrollmentToken)) ? state : null;
}

/** The token requests go out with: a shared (policy or options) token first, then this agent's enrolled one. */
export async function effectiveToken(settings: EffectiveSettings): Promise<string | null> {
  if (settings.token) return settings.token;
  const state = await currentEnrollment(settings);
  return state?.status === 'enrolled' ? (state.token ?? null) : null;
}

export async function enrollmentView(settings: EffectiveSettings): Promise<EnrollmentView> {
  if (!settings.enrollmentToken) return { state: 'not-used' };
  if (settings.token) return { state: 'shared-token' };
  const state = await currentEnrollment(settings);
  if (!state) return { state: 'waiting' };
  if (state.status === 'revoked') return { state: 'revoked', agent: state.agent ?? '', at: state.at };
  if (state.status === 'enrolled') {
    return { state: 'enrolled', tenant: state.tenant ?? '', team: state.team ?? '', agent: state.agent ?? '', displayName: state.displayName, at: state.at };
  }
  return { state: 'failed', error: state.error ?? 'enrollment failed', at: state.at };
}

/**
 * Enrolls when it is needed: an enrollment token, no shared token, no agent token yet for this
 * server and enrollment token, and no failure still waiting out its retry delay. Resolves with the
 * state afterwards (null when nothing was needed). Concurrent calls share one request.
 */
let inFlight: Promise<EnrollmentState | null> | null = null;
export function enrollIfNeeded(settings: EffectiveSettings, helpdesk: Helpdesk, identity: HelpdeskIdentity, now = Date.now()): Promise<EnrollmentState | null> {
  inFlight ??= doEnroll(settings, helpdesk, identity, now).finally(() => (inFlight = null));
  return inFlight;
}

async function doEnroll(settings: EffectiveSettings, helpdesk: Helpdesk, identity: HelpdeskIdentity, now: number): Promise<EnrollmentState | null> {
  const enrollmentToken = settings.enrollmentToken;
  if (!enrollmentToken || settings.token) return null;
  const existing = await currentEnrollment(settings);
  // A revoked token stays revoked: a stolen laptop must not enroll itself back in. A new
  // enrollment token (or server) in the policy starts over.
  if (existing?.status === 'enrolled' || existing?.status === 'revoked') return existing;
  if (existing?.retryAfter && Date.parse(existing.retryAfter) > now) return existing;
  const base = { serverUrl: settings.serverUrl, enrollmentTokenSha256: await sha256Hex(enrollmentToken), at: new Date(now).toISOString() };
  const failed = async (error: string): Promise<EnrollmentState> => {
    const state: EnrollmentState = { ...base, status: 'failed', error, retryAfter: new Date(now + ENROLL_RETRY_MS).toISOString() };
    await enrollmentItem.setValue(state);
    return state;
  };
  let response: Response;
  try {
    response = await fetch(new URL('/v1/enroll', settings.serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrollmentToken, helpdesk, helpdeskIdentity: identity, deviceId: await deviceId() }),
      signal: AbortSignal.timeout(ENROLL_TIMEOUT_MS),
    });
  } catch (err) {
    return failed(`Loopdesk server unreachable at ${settings.serverUrl} (${(err as Error).message})`);
  }
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const error = (body as { error?: string } | null)?.error ?? response.statusText;
    return failed(`the server refused enrollment (${response.status}): ${error}`);
  }
  const parsed = EnrollResponse.safeParse(body);
  if (!parsed.success) return failed(`the server answered enrollment with something unexpected: ${describeIssues(parsed.error)}`);
  const state: EnrollmentState = {
    ...base,
    status: 'enrolled',
    token: parsed.data.token,
    tenant: parsed.data.tenant,
    team: parsed.data.team,
    agent: parsed.data.agent,
    displayName: identity.name,
  };
  await enrollmentItem.setValue(state);
  return state;
}

/**
 * Called when the server answered 401 to `token`: when it is this browser's enrolled token, it is
 * dropped and the state says so (the popup tells the agent to ask their admin). True when it was.
 */
export async function markRevokedIfEnrolled(settings: EffectiveSettings, token: string): Promise<boolean> {
  const state = await currentEnrollment(settings);
  if (state?.status !== 'enrolled' || state.token !== token) return false;
  await enrollmentItem.setValue({ ...state, status: 'revoked', token: undefined, at: new Date().toISOString() });
  return true;
}
