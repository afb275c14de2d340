import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flywheelIntervalFromEnv, startFlywheelSchedule } from '../../server/flywheel/schedule';
import { ensureTenant } from '../../server/tenancy';
import { startTestServer, type TestServer } from '../support/server';

describe('LOOPDESK_FLYWHEEL_INTERVAL', () => {
  it('reads durations and refuses nonsense naming the variable', () => {
    expect(flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: '90s' })).toBe(90_000);
    expect(flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: '30m' })).toBe(1_800_000);
    expect(flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: '6h' })).toBe(21_600_000);
    expect(flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: ' 1D ' })).toBe(86_400_000);
    expect(flywheelIntervalFromEnv({})).toBeNull();
    expect(flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: 'off' })).toBeNull();
    expect(() => flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: '5s' })).toThrow(/^LOOPDESK_FLYWHEEL_INTERVAL: .*"5s"/);
    expect(() => flywheelIntervalFromEnv({ LOOPDESK_FLYWHEEL_INTERVAL: 'hourly' })).toThrow(/LOOPDESK_FLYWHEEL_INTERVAL/);
  });
});

describe('the flywheel on a schedule', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    await ensureTenant(server.database.db, 'acme');
    await ensureTenant(server.database.db, 'globex');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs every tenant each cycle, never two cycles at once, and stops cleanly', async () => {
    const entries: Record<string, unknown>[] = [];
    let running = 0;
    let overlapped = false;
    const schedule = startFlywheelSchedule(server.database, {
      intervalMs: 50,
      log: (entry) => {
        entries.push(entry);
        running++;
        if (running > 2) overlapped = true;
        setTimeout(() => running--, 0);
      },
    });
    await expect.poll(() => entries.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    await schedule.stop();
    const after = entries.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(entries.length).toBe(after);
    expect(overlapped).toBe(false);
    // Without judged queries there is nothing to learn yet: each tenant's cycle says so.
    expect(entries.slice(0, 2).map((e) => e.tenant)).toEqual(['acme', 'globex']);
    for (const entry of entries) expect(entry).toMatchObject({ msg: 'flywheel cycle', status: 'skipped' });
  });
});
