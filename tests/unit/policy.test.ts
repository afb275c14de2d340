import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { ExtensionSettings, ManagedPolicy } from '../../lib/contract';

// lib/settings defines its storage items at import: give it the fake browser first.
Object.assign(globalThis, { chrome: fakeBrowser, browser: fakeBrowser });
type Settings = typeof import('../../lib/settings');
let s: Settings;
beforeAll(async () => {
  s = await import('../../lib/settings');
});
beforeEach(() => fakeBrowser.reset());

const own = (overrides: Partial<ExtensionSettings> = {}) => ExtensionSettings.parse({ token: 'ld_own', ...overrides });

describe('parseManagedPolicy', () => {
  it('keeps valid fields and drops (and names) invalid and unknown ones', () => {
    const { policy, errors } = s.parseManagedPolicy({
      serverUrl: 'https://loopdesk.example.com',
      redaction: 'paranoid',
      telemetry: false,
      allowedHelpdeskHosts: ['Acme.Zendesk.com', '*.freshdesk.com'],
      colour: 'blue',
    });
    expect(policy).toEqual({
      serverUrl: 'https://loopdesk.example.com',
      telemetry: false,
      allowedHelpdeskHosts: ['acme.zendesk.com', '*.freshdesk.com'],
    });
    expect(errors).toHaveLength(2);
    expect(errors.find((e) => e.startsWith('redaction: '))).toBeTruthy();
    expect(errors).toContain('colour: unknown policy, ignored');
  });

  it('treats no policy as an empty one and rejects a URL that is not http(s) or a bad host pattern', () => {
    expect(s.parseManagedPolicy(undefined)).toEqual({ policy: {}, errors: [] });
    expect(s.parseManagedPolicy({})).toEqual({ policy: {}, errors: [] });
    expect(s.parseManagedPolicy('x').errors).toEqual(['policy: not an object']);
    expect(s.parseManagedPolicy({ serverUrl: 'ftp://x.example' }).policy).toEqual({});
    expect(s.parseManagedPolicy({ allowedHelpdeskHosts: ['https://acme.zendesk.com/agent'] }).errors[0]).toMatch(/^allowedHelpdeskHosts\[0\]: /);
  });

  it('accepts every field the managed schema declares', async () => {
    const { readFileSync } = await import('node:fs');
    const schema = JSON.parse(readFileSync('public/managed_schema.json', 'utf8')) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ManagedPolicy.shape).sort());
  });
});

describe('resolveSettings: policy over the agent’s own options over defaults', () => {
  it('uses the agent’s own settings and defaults when there is no policy, and locks nothing', () => {
    const { settings, locked } = s.resolveSettings(own({ redaction: 'off' }), {});
    expect(locked).toEqual([]);
    expect(settings).toMatchObject({ serverUrl: 'http://127.0.0.1:8787', token: 'ld_own', redaction: 'off', telemetry: true, allowedHelpdeskHosts: null });
    expect(Object.values(settings.annotations).every(Boolean)).toBe(true);
  });

  it('lets every field the policy sets win, and locks exactly those', () => {
    const { settings, locked } = s.resolveSettings(own({ serverUrl: 'http://localhost:9000', redaction: 'off' }), {
      serverUrl: 'https://loopdesk.example.com',
      redaction: 'strict',
      telemetry: false,
    });
    expect(settings.serverUrl).toBe('https://loopdesk.example.com');
    expect(settings.redaction).toBe('strict');
    expect(settings.telemetry).toBe(false);
    expect(settings.token).toBe('ld_own'); // not set by policy: the agent's own
    expect([...locked].sort()).toEqual(['redaction', 'serverUrl', 'telemetry']);
  });

  it('takes a shared token from policy, and switches off only the annotation kinds it names', () => {
    const { settings, locked } = s.resolveSettings(own(), { token: 'ld_shared', annotations: { rationale: false, missingKnowledge: false } });
    expect(settings.token).toBe('ld_shared');
    expect(settings.annotations).toEqual({ preference: true, relevance: true, adoption: true, missingKnowledge: false, rationale: false });
    expect(locked).toEqual(expect.arrayContaining(['token', 'annotations']));
  });

  it('a policy value that fails validation does not win', () => {
    const { policy } = s.parseManagedPolicy({ redaction: 'maximum', serverUrl: 'https://ok.example' });
    const { settings, locked } = s.resolveSettings(own({ redaction: 'off' }), policy);
    expect(settings.redaction).toBe('off');
    expect(locked).toEqual(['serverUrl']);
  });

  it('an empty allowed-host list allows no helpdesk', () => {
    const { settings } = s.resolveSettings(own(), { allowedHelpdeskHosts: [] });
    expect(settings.allowedHelpdeskHosts).toEqual([]);
    expect(s.hostAllowed('acme.zendesk.com', settings.allowedHelpdeskHosts)).toBe(false);
  });
});

describe('mergeOwnSettings: saving never writes over what policy locks', () => {
  it('keeps the agent’s earlier values for locked fields and takes the form for the rest', () => {
    const stored = own({ serverUrl: 'http://localhost:9000', token: 'ld_old', redaction: 'off' });
    const form = ExtensionSettings.parse({ serverUrl: 'https://loopdesk.example.com', token: 'ld_new', redaction: 'strict' });
    expect(s.mergeOwnSettings(stored, form, ['serverUrl', 'redaction'])).toEqual({
      serverUrl: 'http://localhost:9000',
      token: 'ld_new',
      redaction: 'off',
    });
    expect(s.mergeOwnSettings(stored, form, [])).toEqual(form);
  });
});

describe('hostAllowed', () => {
  it.each([
    ['acme.zendesk.com', ['acme.zendesk.com'], true],
    ['ACME.zendesk.com', ['acme.zendesk.com'], true],
    ['other.zendesk.com', ['acme.zendesk.com'], false],
    ['acme.zendesk.com', ['*.zendesk.com'], true],
    ['zendesk.com', ['*.zendesk.com'], false],
    ['evilzendesk.com', ['*.zendesk.com'], false],
    ['anything.example', ['*'], true],
    ['anything.example', null, true],
  ] as const)('%s against %j: %s', (host, patterns, expected) => {
    expect(s.hostAllowed(host, patterns as readonly string[] | null)).toBe(expected);
  });
});

describe('resolveSettings with tenant settings: policy over tenant over own', () => {
  it('lets the tenant decide what policy leaves open, and says who locked each field', () => {
    const { settings, locked, lockedBy } = s.resolveSettings(
      own({ redaction: 'off' }),
      { annotations: { preference: true } },
      { redaction: 'strict', annotations: { preference: false, relevance: false } },
    );
    expect(settings.redaction).toBe('strict');
    // Policy wins on what it sets; the tenant decides the rest; the others stay on.
    expect(settings.annotations).toEqual({ preference: true, relevance: false, adoption: true, missingKnowledge: true, rationale: true });
    expect(lockedBy).toEqual({ redaction: 'tenant', annotations: 'policy' });
    expect([...locked].sort()).toEqual(['annotations', 'redaction']);
  });

  it('keeps policy above the tenant and the agent free where neither decides', () => {
    const { settings, lockedBy } = s.resolveSettings(own({ redaction: 'off' }), { redaction: 'standard' }, { redaction: 'strict' });
    expect(settings.redaction).toBe('standard');
    expect(lockedBy.redaction).toBe('policy');
    const free = s.resolveSettings(own({ redaction: 'off' }), {}, {});
    expect(free.settings.redaction).toBe('off');
    expect(free.locked).toEqual([]);
  });
});

describe('readEffectiveSettings', () => {
  it('reads managed storage over the saved settings and reports what it ignored', async () => {
    await s.settingsItem.setValue(own({ redaction: 'off' }));
    await fakeBrowser.storage.managed.set({ serverUrl: 'https://loopdesk.example.com', redaction: 'strict', telemetry: 'yes' });
    const view = await s.readEffectiveSettings();
    expect(view.settings).toMatchObject({ serverUrl: 'https://loopdesk.example.com', redaction: 'strict', token: 'ld_own', telemetry: true });
    expect([...view.locked].sort()).toEqual(['redaction', 'serverUrl']);
    expect(view.policyErrors[0]).toMatch(/^telemetry: /);
    // The agent's own settings are untouched.
    expect((await s.readSettings()).redaction).toBe('off');
  });
});

describe('readManagedStorage right after a browser start', () => {
  /** Chromium's first managed read after launch waits for its policy service: seconds. */
  function stallManagedReads() {
    const get = fakeBrowser.storage.managed.get;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    fakeBrowser.storage.managed.get = (async (...args: Parameters<typeof get>) => {
      await released;
      return get(...args);
    }) as typeof get;
    return () => {
      release();
      fakeBrowser.storage.managed.get = get;
    };
  }

  it('answers with the policy last read when the read stalls, and the fresh one once it comes', async () => {
    await fakeBrowser.storage.managed.set({ serverUrl: 'https://loopdesk.example.com' });
    expect((await s.readManagedStorage()).raw).toEqual({ serverUrl: 'https://loopdesk.example.com' });
    const restore = stallManagedReads();
    await fakeBrowser.storage.managed.set({ serverUrl: 'https://new.example.com' });
    const started = Date.now();
    expect(await s.readManagedStorage()).toEqual({ available: true, raw: { serverUrl: 'https://loopdesk.example.com' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    restore();
    expect((await s.readManagedStorage()).raw).toEqual({ serverUrl: 'https://new.example.com' });
  });

  it('waits for the read when no policy was ever read (a new install)', async () => {
    const restore = stallManagedReads();
    await fakeBrowser.storage.managed.set({ token: 'ld_policy' });
    let answered = false;
    const reading = s.readManagedStorage().then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 400));
    expect(answered).toBe(false);
    restore();
    expect((await reading).raw).toEqual({ token: 'ld_policy' });
  });
});

describe('settleManagedPolicy: waiting for the policy after a force-install', () => {
  it('on the first run with empty managed storage, waits until the policy arrives', async () => {
    const settled = s.settleManagedPolicy(5_000);
    let done = false;
    void settled.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    await fakeBrowser.storage.managed.set({ serverUrl: 'https://loopdesk.example.com' });
    await expect(settled).resolves.toBe(true);
  });

  it('gives up after the timeout when no policy comes, and does not wait on later runs', async () => {
    const started = Date.now();
    await expect(s.settleManagedPolicy(100)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    const again = Date.now();
    await expect(s.settleManagedPolicy(5_000)).resolves.toBe(false);
    expect(Date.now() - again).toBeLessThan(1_000);
  });

  it('does not wait in an install the agent made themselves (no policy to wait for)', async () => {
    const getSelf = fakeBrowser.management.getSelf;
    fakeBrowser.management.getSelf = (async () => ({ installType: 'normal' })) as never;
    try {
      const started = Date.now();
      await expect(s.settleManagedPolicy(5_000)).resolves.toBe(false);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      fakeBrowser.management.getSelf = getSelf;
    }
  });

  it('does not wait when the policy is already there', async () => {
    await fakeBrowser.storage.managed.set({ token: 'ld_shared' });
    const started = Date.now();
    await expect(s.settleManagedPolicy(5_000)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('annotationKindOf', () => {
  it('maps event types to the policy switches; exposures are not switchable', () => {
    expect(s.annotationKindOf('knowledge.relevance')).toBe('relevance');
    expect(s.annotationKindOf('knowledge.missing')).toBe('missingKnowledge');
    expect(s.annotationKindOf('suggestion.shown')).toBeNull();
  });
});
