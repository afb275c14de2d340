import type { Database } from '../db/client';
import { tenants } from '../db/schema';
import type { ModelCache } from '../retrieval/learned';
import { runFlywheel, type FlywheelResult } from './run';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Shorter than this, cycles over a real tenant would run back to back. */
const MIN_INTERVAL_MS = 10_000;

/**
 * Reads `LOOPDESK_FLYWHEEL_INTERVAL`: a duration such as `90s`, `30m`, `6h` or `1d`; unset, empty or
 * `off` means no schedule (cycles run only from `loopdesk flywheel run` or the admin API). A bad
 * value throws naming the variable, so a typo stops the server instead of silently never learning.
 */
export function flywheelIntervalFromEnv(env: NodeJS.ProcessEnv): number | null {
  const raw = env.LOOPDESK_FLYWHEEL_INTERVAL?.trim().toLowerCase();
  if (!raw || raw === 'off') return null;
  const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(raw);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  if (!(ms >= MIN_INTERVAL_MS)) {
    throw new Error(`LOOPDESK_FLYWHEEL_INTERVAL: expected a duration of at least 10s such as 90s, 30m, 6h or 1d (or off), got "${raw}"`);
  }
  return ms;
}

export interface FlywheelSchedule {
  /** Stops scheduling; resolves once a cycle under way has finished its current tenant. */
  stop(): Promise<void>;
}

export interface FlywheelScheduleOptions {
  intervalMs: number;
  /** The server's model cache, so that a promotion reaches `/v1/retrieve` and `/v1/suggest` at once. */
  cache?: ModelCache;
  /** One line per tenant and cycle; JSON on stdout by default, like the access log. */
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * Runs the flywheel for every tenant, one after the other, every `intervalMs` while the server runs.
 * The next cycle is timed from the end of the last, so cycles never overlap however long one takes;
 * a failing tenant is logged and the others still run.
 */
export function startFlywheelSchedule(database: Database, options: FlywheelScheduleOptions): FlywheelSchedule {
  const log = options.log ?? ((entry) => console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', ...entry })));
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cycle: Promise<void> = Promise.resolve();

  async function runCycle(): Promise<void> {
    const all = await database.db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).orderBy(tenants.slug);
    for (const tenant of all) {
      if (stopped) return;
      try {
        const result: FlywheelResult = await runFlywheel(database, tenant.id, { cache: options.cache });
        log({
          msg: 'flywheel cycle',
          tenant: tenant.slug,
          status: result.status,
          version: result.version,
          ...(result.reason ? { reason: result.reason } : {}),
          seconds: result.seconds,
        });
      } catch (err) {
        log({ msg: 'flywheel cycle failed', level: 'error', tenant: tenant.slug, error: (err as Error).message });
      }
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      cycle = runCycle().finally(schedule);
    }, options.intervalMs);
    timer.unref?.();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await cycle.catch(() => {});
    },
  };
}
