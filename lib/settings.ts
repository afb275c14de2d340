import { browser } from 'wxt/browser';
import { storage } from 'wxt/utils/storage';
import { tenantSettingsItem } from './org-config';
import {
  ANNOTATION_KINDS,
  describeIssues,
  ExtensionSettings,
  ManagedPolicy,
  TenantSettings,
  type AnnotationKind,
  type AnnotationSwitches,
} from './contract';

/**
 * Configuration precedence: enterprise policy (`storage.managed`) > the agent's own options >
 * defaults. Tenant settings from the server will slot in between policy and own options later.
 */

/** The agent's own settings, as saved by the options page. Policy values are never written here. */
export const settingsItem = storage.defineItem<ExtensionSettings>('local:settings', {
  fallback: ExtensionSettings.parse({}),
  version: 1,
});

/** The agent's own settings alone, without policy. Most callers want `readEffectiveSettings`. */
export async function readSettings(): Promise<ExtensionSettings> {
  // Stored data from an older or hand-edited build is re-validated; bad fields fall back to defaults.
  const parsed = ExtensionSettings.safeParse(await settingsItem.getValue());
  return parsed.success ? parsed.data : ExtensionSettings.parse({});
}

/** What the extension runs with: the agent's settings with policy on top, and what only policy sets. */
export interface EffectiveSettings extends ExtensionSettings {
  annotations: AnnotationSwitches;
  /** Diagnostic reports (selector misses) to the server. */
  telemetry: boolean;
  /** Host patterns the overlay may work on; null when policy sets none (every supported helpdesk). */
  allowedHelpdeskHosts: string[] | null;
  tenant: string | null;
  enrollmentToken: string | null;
}

/** A setting that policy can fix. The options page shows the first three; the rest only policy sets. */
export type LockableField = 'serverUrl' | 'token' | 'redaction' | 'annotations' | 'telemetry' | 'allowedHelpdeskHosts';

/** Who decided a locked field: the organisation's browser policy, or the tenant's admins on the server. */
export type SettingsSource = 'policy' | 'tenant';

export interface SettingsView {
  settings: EffectiveSettings;
  /** Fields set by policy or the tenant: shown locked in the options page, never overwritten by a save. */
  locked: LockableField[];
  lockedBy: Partial<Record<LockableField, SettingsSource>>;
  /** The valid part of the policy. */
  policy: ManagedPolicy;
  /** Policy fields that were present but invalid, with why; each is ignored (and not locked). */
  policyErrors: string[];
}

const ALL_ON: AnnotationSwitches = Object.fromEntries(ANNOTATION_KINDS.map((kind) => [kind, true])) as AnnotationSwitches;

/**
 * Reads a raw managed-storage object field by field: one bad field (a typo in an admin's JSON or
 * registry value) is dropped and reported without costing the rest of the policy.
 */
export function parseManagedPolicy(raw: unknown): { policy: ManagedPolicy; errors: string[] } {
  if (raw === undefined || raw === null) return { policy: {}, errors: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { policy: {}, errors: ['policy: not an object'] };
  const policy: Record<string, unknown> = {};
  const errors: string[] = [];
  const shape = ManagedPolicy.shape;
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const field = shape[key as keyof typeof shape];
    if (!field) {
      errors.push(`${key}: unknown policy, ignored`);
      continue;
    }
    const parsed = field.safeParse(value);
    if (parsed.success) policy[key] = parsed.data;
    else errors.push(describeIssues(parsed.error, [key]));
  }
  return { policy: policy as ManagedPolicy, errors };
}

/**
 * Policy over the tenant's settings over the agent's own settings over defaults. Pure: the
 * precedence rules in one place. A field policy or the tenant decides is locked for the agent;
 * `lockedBy` says which of the two did.
 */
export function resolveSettings(
  own: ExtensionSettings,
  policy: ManagedPolicy,
  tenant: TenantSettings = {},
): { settings: EffectiveSettings; locked: LockableField[]; lockedBy: Partial<Record<LockableField, SettingsSource>> } {
  const lockedBy: Partial<Record<LockableField, SettingsSource>> = {};
  const pick = <K extends LockableField, T>(field: K, policyValue: T | undefined, fallback: T, tenantValue?: T): T => {
    if (policyValue !== undefined) {
      lockedBy[field] = 'policy';
      return policyValue;
    }
    if (tenantValue !== undefined) {
      lockedBy[field] = 'tenant';
      return tenantValue;
    }
    return fallback;
  };
  // Per kind: policy, else the tenant, else on.
  const annotations = { ...ALL_ON };
  for (const kind of ANNOTATION_KINDS) {
    const value = policy.annotations?.[kind] ?? tenant.annotations?.[kind];
    if (value !== undefined) annotations[kind] = value;
  }
  const settings: EffectiveSettings = {
    serverUrl: pick('serverUrl', policy.serverUrl, own.serverUrl),
    token: pick('token', policy.token, own.token),
    redaction: pick('redaction', policy.redaction, own.redaction, tenant.redaction),
    annotations: pick('annotations', policy.annotations ? annotations : undefined, annotations, tenant.annotations ? annotations : undefined),
    telemetry: pick('telemetry', policy.telemetry, true),
    allowedHelpdeskHosts: pick('allowedHelpdeskHosts', policy.allowedHelpdeskHosts, null as string[] | null),
    tenant: policy.tenant ?? null,
    enrollmentToken: policy.enrollmentToken ?? null,
  };
  return { settings, locked: Object.keys(lockedBy) as LockableField[], lockedBy };
}

/**
 * What a save from the options page stores: the form's values for fields the agent may change, and
 * the agent's previous values for fields policy locks (so removing the policy later gives the
 * agent back their own settings, not the organisation's).
 */
export function mergeOwnSettings(stored: ExtensionSettings, form: ExtensionSettings, locked: readonly LockableField[]): ExtensionSettings {
  const keep = (field: keyof ExtensionSettings) => locked.includes(field);
  return {
    serverUrl: keep('serverUrl') ? stored.serverUrl : form.serverUrl,
    token: keep('token') ? stored.token : form.token,
    redaction: keep('redaction') ? stored.redaction : form.redaction,
  };
}

/** Whether `host` matches one of the patterns (`acme.zendesk.com`, `*.zendesk.com`, `*`); null allows all. */
export function hostAllowed(host: string, patterns: readonly string[] | null): boolean {
  if (patterns === null) return true;
  const name = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
    return name === pattern;
  });
}

/** Which annotation switch an event type falls under (exposures are not annotations: always on). */
export function annotationKindOf(eventType: string): AnnotationKind | null {
  switch (eventType) {
    case 'preference':
      return 'preference';
    case 'knowledge.relevance':
      return 'relevance';
    case 'adoption':
      return 'adoption';
    case 'knowledge.missing':
      return 'missingKnowledge';
    default:
      return null;
  }
}

/** The managed storage last read, for the moments after a browser start when reading it stalls. */
const lastManagedItem = storage.defineItem<Record<string, unknown> | null>('local:lastManagedPolicy', { fallback: null });

/**
 * How long a read of managed storage may take before the last one read stands in. Chromium answers
 * the first read after a browser start only once its policy service is up, 2–3 s later here; an
 * agent's helpdesk tab restored with the browser would wait that long for its first suggestion.
 * Policy reaches a running browser on Chrome's own schedule (minutes to hours), so the last policy
 * for those seconds is within what policy already promises. A new install has none and waits.
 */
const MANAGED_READ_PATIENCE_MS = 200;

async function readManagedArea(area: NonNullable<typeof browser.storage.managed>) {
  try {
    const raw = ((await area.get()) ?? {}) as Record<string, unknown>;
    const last = await lastManagedItem.getValue();
    if (JSON.stringify(last) !== JSON.stringify(raw)) await lastManagedItem.setValue(raw);
    return { available: true, raw };
  } catch {
    return { available: false, raw: {} };
  }
}

/**
 * The raw managed storage. `available` is false where the browser has none for this extension
 * (Firefox answers with an error when no policy names the add-on).
 */
export async function readManagedStorage(): Promise<{ available: boolean; raw: Record<string, unknown> }> {
  const area = browser.storage?.managed;
  if (!area) return { available: false, raw: {} };
  const fresh = readManagedArea(area);
  let patience: ReturnType<typeof setTimeout> | undefined;
  const prompt = await Promise.race([fresh, new Promise<null>((resolve) => (patience = setTimeout(() => resolve(null), MANAGED_READ_PATIENCE_MS)))]);
  clearTimeout(patience);
  if (prompt) return prompt;
  const last = await lastManagedItem.getValue();
  return last ? { available: true, raw: last } : fresh;
}

export async function readManagedPolicy(): Promise<{ policy: ManagedPolicy; errors: string[] }> {
  return parseManagedPolicy((await readManagedStorage()).raw);
}

/** The settings everything in the extension runs with, and which of them policy locks. */
export async function readEffectiveSettings(): Promise<SettingsView> {
  const [own, { policy, errors }, tenant] = await Promise.all([readSettings(), readManagedPolicy(), readTenantSettings()]);
  return { ...resolveSettings(own, policy, tenant), policy, policyErrors: errors };
}

/** The tenant's settings as last fetched from the server (lib/org-config.ts), re-validated. */
async function readTenantSettings(): Promise<TenantSettings> {
  const parsed = TenantSettings.safeParse((await tenantSettingsItem.getValue())?.value.settings ?? {});
  return parsed.success ? parsed.data : {};
}

/** Set once the extension has waited for (or seen) managed storage after its install. */
const policySettledItem = storage.defineItem<string | null>('local:policySettledAt', { fallback: null });

/** How long a new install waits for policy to arrive before it goes on with the agent's own settings. */
export const POLICY_WAIT_MS = 15_000;

/** Resolves true when managed storage changes, false after `timeoutMs` or when `signal` aborts. */
export function waitForManagedChange(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const listener = (_changes: unknown, area: string) => {
      if (area === 'managed') finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const abort = () => finish(false);
    function finish(changed: boolean) {
      clearTimeout(timer);
      browser.storage.onChanged.removeListener(listener);
      signal?.removeEventListener('abort', abort);
      resolve(changed);
    }
    browser.storage.onChanged.addListener(listener);
    signal?.addEventListener('abort', abort);
  });
}

/**
 * Whether the browser installed the extension by policy (`installType` "admin", as a force-install
 * is). Unknown (no management API) counts as yes: waiting a little is the safe side.
 */
async function installedByPolicy(): Promise<boolean> {
  try {
    return (await browser.management.getSelf()).installType === 'admin';
  } catch {
    return true;
  }
}

/**
 * After a force-install, Chrome and Edge may start the extension before they have handed it its
 * policy: managed storage is empty for a moment. On the first run of a policy install, when
 * managed storage exists but is empty, this waits for it to fill (or for `timeoutMs`). Later runs
 * find the policy already stored by the browser, and an agent's own install has none to wait for.
 * Resolves with whether a policy is in place.
 */
export async function settleManagedPolicy(timeoutMs = POLICY_WAIT_MS): Promise<boolean> {
  const hasPolicy = (raw: Record<string, unknown>) => Object.keys(raw).length > 0;
  // Listening before the first read, so a policy landing in between is not missed.
  const stop = new AbortController();
  const changed = waitForManagedChange(timeoutMs, stop.signal);
  const [first, settled] = await Promise.all([readManagedStorage(), policySettledItem.getValue()]);
  const mustWait = first.available && !hasPolicy(first.raw) && !settled && (await installedByPolicy());
  if (!mustWait) stop.abort();
  await changed;
  if (!settled) await policySettledItem.setValue(new Date().toISOString());
  return mustWait ? hasPolicy((await readManagedStorage()).raw) : hasPolicy(first.raw);
}
