/**
 * The demo helpdesk tab as the overlay bench drives it: an init script (page's main world) that notes
 * long tasks and when the helpdesk and the overlay were ready, and the CDP calls for CPU profiles and
 * heap figures. Works the same with and without the extension, so both runs carry the same probe.
 */
import type { CDPSession, Page } from '@playwright/test';
import type { CpuProfile } from './cpu-profile';

/** What the init script leaves on `window.__loopdeskBench`; times are `performance.now()` (ms since navigation start). */
export interface ProbeState {
  longTasks: { start: number; duration: number }[];
  /** The active pane's CKEditor composer exists: the helpdesk itself is ready for the agent. */
  paneReadyAt: number | null;
  /** The overlay's host element (`loopdesk-overlay`) with its shadow root is in the page. */
  overlayHostAt: number | null;
  /** The panel (`aside[aria-label="Loopdesk suggestions"]`) first appeared, e.g. with "Finding replies…". */
  panelAt: number | null;
  /** Every suggested reply is final and the articles are listed (DOM complete)… */
  suggestionsAt: number | null;
  /** …and the frame showing them has been painted (first task after that frame's rendering). */
  paintedAt: number | null;
}

/**
 * Runs at document start in the page's main world. Its observers are disconnected once what they wait
 * for has happened (or on `stop()`), so they do not run while the agent types.
 */
export function installProbe(): void {
  type Probe = ProbeState & { paneReady: Promise<number>; painted: Promise<number>; stop(): void };
  let resolvePane: (t: number) => void = () => {};
  let resolvePainted: (t: number) => void = () => {};
  const probe: Probe = {
    longTasks: [],
    paneReadyAt: null,
    overlayHostAt: null,
    panelAt: null,
    suggestionsAt: null,
    paintedAt: null,
    paneReady: new Promise((r) => (resolvePane = r)),
    painted: new Promise((r) => (resolvePainted = r)),
    stop() {
      documentObserver.disconnect();
      shadowObserver?.disconnect();
    },
  };
  (window as unknown as { __loopdeskBench: Probe }).__loopdeskBench = probe;

  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.longTasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no Long Tasks API: reported as zero tasks, and the bench says which browser it ran
  }

  const composerReady = () =>
    Boolean((document.querySelector('[data-is-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]') as { ckeditorInstance?: unknown } | null)?.ckeditorInstance);

  let shadowObserver: MutationObserver | undefined;
  const checkShadow = (root: ShadowRoot) => {
    const panel = root.querySelector('aside[aria-label="Loopdesk suggestions"]');
    if (!panel) return;
    probe.panelAt ??= performance.now();
    const cards = [...panel.querySelectorAll('section[data-candidate-id]')];
    const complete = cards.length > 0 && cards.every((c) => c.getAttribute('data-state') === 'final') && panel.querySelector('ol[aria-label="Knowledge articles"] li');
    if (!complete || probe.suggestionsAt !== null) return;
    probe.suggestionsAt = performance.now();
    shadowObserver?.disconnect();
    requestAnimationFrame(() =>
      setTimeout(() => {
        probe.paintedAt = performance.now();
        resolvePainted(probe.paintedAt);
      }, 0),
    );
  };

  let recheck: number | undefined;
  const checkDocument = () => {
    if (probe.paneReadyAt === null && composerReady()) {
      probe.paneReadyAt = performance.now();
      resolvePane(probe.paneReadyAt);
    }
    const host = document.querySelector('loopdesk-overlay');
    if (host?.shadowRoot && !shadowObserver) {
      const root = host.shadowRoot;
      probe.overlayHostAt = performance.now();
      shadowObserver = new MutationObserver(() => checkShadow(root));
      shadowObserver.observe(root, { childList: true, subtree: true, attributes: true, characterData: true });
      checkShadow(root);
    }
    if (probe.paneReadyAt !== null && shadowObserver) documentObserver.disconnect();
    else if (probe.paneReadyAt === null && recheck === undefined) {
      // The editor instance is set on the element after CKEditor's last DOM change: look again shortly.
      recheck = window.setTimeout(() => {
        recheck = undefined;
        checkDocument();
      }, 20);
    }
  };
  const documentObserver = new MutationObserver(checkDocument);
  documentObserver.observe(document, { childList: true, subtree: true });
}

/**
 * The probe as init-script source. tsx compiles with esbuild's keepNames, which wraps inner functions
 * in a `__name(...)` helper that does not exist in the page; a local stand-in keeps it self-contained.
 */
export function probeScript(): string {
  return `(() => { const __name = (f) => f; (${installProbe.toString()})(); })();`;
}

export async function probeState(page: Page): Promise<ProbeState> {
  return page.evaluate(() => {
    const { longTasks, paneReadyAt, overlayHostAt, panelAt, suggestionsAt, paintedAt } = (window as unknown as { __loopdeskBench: ProbeState }).__loopdeskBench;
    return { longTasks, paneReadyAt, overlayHostAt, panelAt, suggestionsAt, paintedAt };
  });
}

export async function waitForProbe(page: Page, what: 'paneReady' | 'painted', timeoutMs = 30_000): Promise<number> {
  return page.evaluate(
    ([key, timeout]) =>
      Promise.race([
        (window as unknown as { __loopdeskBench: Record<string, Promise<number>> }).__loopdeskBench[key]!,
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`${key} not reached in ${timeout} ms`)), timeout)),
      ]),
    [what, timeoutMs] as const,
  );
}

export async function stopProbe(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __loopdeskBench: { stop(): void } }).__loopdeskBench.stop());
}

/** CPU profiling of the tab's main thread (every world: page, content script, main-world bridge). */
export async function startProfiler(cdp: CDPSession, intervalUs: number): Promise<void> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
}

export async function stopProfiler(cdp: CDPSession): Promise<CpuProfile> {
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');
  return profile as CpuProfile;
}

/**
 * `Performance` metrics with durations in the main thread's CPU time (`threadTicks`) rather than wall
 * time: on a shared machine the renderer waits for a core, and wall-clock figures grow with the load.
 */
export async function enableMetrics(cdp: CDPSession): Promise<void> {
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
}

/** Main-thread CPU time and its parts so far, in ms (differences between two readings are what count). */
export interface CpuReading {
  thread: number;
  script: number;
  compile: number;
  layout: number;
  style: number;
}

export async function cpuReading(cdp: CDPSession): Promise<CpuReading> {
  const m = await metrics(cdp);
  return { thread: m.ThreadTime! * 1000, script: m.ScriptDuration! * 1000, compile: m.V8CompileDuration! * 1000, layout: m.LayoutDuration! * 1000, style: m.RecalcStyleDuration! * 1000 };
}

export function cpuBetween(a: CpuReading, b: CpuReading): CpuReading {
  const d = (k: keyof CpuReading) => +(b[k] - a[k]).toFixed(1);
  return { thread: d('thread'), script: d('script'), compile: d('compile'), layout: d('layout'), style: d('style') };
}

/** `Performance.getMetrics` as a name → value map (needs `Performance.enable`). */
export async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** The tab's navigation start on the profiler's clock (µs), to place page times on a profile. */
export async function navigationStartUs(cdp: CDPSession): Promise<number> {
  return (await metrics(cdp)).NavigationStart! * 1e6;
}

export interface HeapFigures {
  /** V8 heap in use for the tab's isolate (main world, the content script's isolated world, the bridge). */
  jsUsed: number;
  jsTotal: number;
  /** Blink's own (C++) heap objects such as DOM nodes, where this Chromium reports them. */
  embedderUsed: number | null;
  backingStorage: number | null;
  /** `Performance.getMetrics` view of the same isolate. */
  metricsJsUsed: number;
  nodes: number;
  jsEventListeners: number;
}

/** Heap of the tab after forced full garbage collections. */
export async function heapAfterGc(cdp: CDPSession): Promise<HeapFigures> {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number; embedderHeapUsedSize?: number; backingStorageSize?: number };
  const m = await metrics(cdp);
  return {
    jsUsed: usage.usedSize,
    jsTotal: usage.totalSize,
    embedderUsed: usage.embedderHeapUsedSize ?? null,
    backingStorage: usage.backingStorageSize ?? null,
    metricsJsUsed: m.JSHeapUsedSize!,
    nodes: m.Nodes!,
    jsEventListeners: m.JSEventListeners!,
  };
}
