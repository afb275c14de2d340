/**
 * What the overlay costs the helpdesk tab, in real Chromium with the built extension against the same
 * tab without it (separate launches, same run, interleaved): content-script bundle size, JS heap the
 * extension adds, main-thread time from opening a ticket until the overlay has painted its
 * suggestions, and long tasks while the agent types a reply. Writes bench/results/overlay.{json,md}.
 *
 *   npm run bench:overlay     (needs `npm run build` first)
 *   BENCH_RUNS=5  BENCH_TICKET=1003  BENCH_TYPE_DELAY_MS=20
 *   BENCH_TYPE_CHARS=<n>        type only the first n characters of the reply (quick runs; the typing goal needs ≥ 500)
 *   BENCH_SAVE_PROFILES=<dir>   also writes each run's CPU profiles there (open them in DevTools' Performance panel)
 *   BENCH_OUT=<name>            results as bench/results/<name>.{json,md} (default overlay), e.g. for trying a change;
 *                               an absolute path puts them elsewhere (e.g. /tmp/overlay for a quick run)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { PROJECT_ROOT } from '../server/config';
import { configureExtension } from '../tests/e2e/fixtures';
import { EXTENSION_DIR, extensionIdOf, launchWithExtension, launchWithoutExtension } from '../tests/support/browser';
import { startTestServer } from '../tests/support/server';
import { contentScriptFiles } from './lib/bundle-size';
import { ProfileReader, type WindowSummary } from './lib/cpu-profile';
import {
  cpuBetween,
  cpuReading,
  enableMetrics,
  heapAfterGc,
  navigationStartUs,
  probeScript,
  probeState,
  startProfiler,
  stopProbe,
  stopProfiler,
  waitForProbe,
  type CpuReading,
  type HeapFigures,
} from './lib/helpdesk-tab';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TICKET = process.env.BENCH_TICKET ?? '1003';
/** Pause between keys; an agent typing fast, and enough keys for the overlay's 150 ms refresh throttle to fire many times. */
const TYPE_DELAY_MS = Number(process.env.BENCH_TYPE_DELAY_MS ?? 20);
/** Profiler sampling intervals (µs): fine at ticket open, a little coarser over the longer typing window. */
const OPEN_SAMPLING_US = 100;
const TYPING_SAMPLING_US = 200;
/** After the overlay has painted, before the heap is read: late messages, the exposure event, idle GC. */
const SETTLE_MS = 1_500;
const LONG_TASK_MS = 50;
const MB = 1024 * 1024;
const SAVE_PROFILES = process.env.BENCH_SAVE_PROFILES;
const OUT = process.env.BENCH_OUT ?? 'overlay';
const MIN_TYPED = 500;
const GOALS = { heapAddedMB: 15, openMainThreadMs: 50, extensionLongTasks: 0 };

const COMPOSER = '[data-is-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]';
/** An agent writing a reply of their own (no Enter+Ctrl: nothing is sent). 600+ characters, two paragraphs. */
const REPLY = [
  'Thanks for the details, and sorry for the double charge on your card. I checked the billing history for your account ',
  'and I can see both payments for the Brightnest Plus plan on the same day; the second one was taken when the renewal ',
  'was retried after a timeout on our side. I have refunded it in full just now, so it should be back on your statement ',
  'within three to five working days depending on your bank.\n',
  'Your subscription stays active and nothing else changes on your thermostat. If the refund has not arrived by the end ',
  'of next week, reply to this message with the last four digits of the card and I will chase it with our payments team.',
]
  .join('')
  .slice(0, Number(process.env.BENCH_TYPE_CHARS ?? Infinity));

type VariantName = 'with' | 'without';
interface Variant {
  name: VariantName;
  profileDir: string;
  /** Frames from scripts under this prefix are the extension's; any extension for the baseline (expected: none). */
  prefix: string;
}

interface LongTask {
  startMs: number;
  durationMs: number;
  extensionMs: number;
  /** Without the extension's own time in it, the task would not have been long. */
  causedByExtension: boolean;
  topExtensionFunctions: WindowSummary['topFunctions'];
}

interface RunResult {
  variant: VariantName;
  run: number;
  paneReadyMs: number;
  panelMs: number | null;
  suggestionsMs: number | null;
  paintedMs: number | null;
  open: WindowSummary & {
    /** Main-thread CPU time (thread ticks) from just before navigation until the end of the window. */
    cpu: CpuReading;
    /** The extension's sampled time scaled by the window's CPU / wall ratio: its share of the CPU time. */
    extensionCpuMs: number;
    /** Main-thread CPU time from just before navigation until SETTLE_MS after ready (same span with and without). */
    cpuSettled: CpuReading;
  };
  /** When the helpdesk's own first script ran, on the profile clock relative to navigation start: checks the alignment. */
  firstPageScriptMs: number | null;
  heap: HeapFigures;
  typing: {
    chars: number;
    typedChars: number;
    window: WindowSummary & { cpu: CpuReading; extensionCpuMs: number };
    longTasks: LongTask[];
  };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const max = (values: number[]) => (values.length ? Math.max(...values) : NaN);
const round = (n: number, digits = 1) => +n.toFixed(digits);

async function launch(variant: Variant): Promise<BrowserContext> {
  return variant.name === 'with' ? launchWithExtension(variant.profileDir) : launchWithoutExtension(variant.profileDir);
}

async function oneRun(variant: Variant, run: number, serverUrl: string): Promise<RunResult> {
  const context = await launch(variant);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript({ content: probeScript() });
    const cdp = await context.newCDPSession(page);
    await enableMetrics(cdp);
    // A page of the same site first, so that the ticket loads in the renderer being profiled.
    await page.goto(`${serverUrl}/healthz`);

    // Ticket open: from navigation start until the overlay has painted its suggestions.
    await startProfiler(cdp, OPEN_SAMPLING_US);
    const openCpu0 = await cpuReading(cdp);
    await page.goto(`${serverUrl}/demo/agent/tickets/${TICKET}`, { waitUntil: 'domcontentloaded' });
    const paneReadyMs = await waitForProbe(page, 'paneReady');
    const paintedMs = variant.name === 'with' ? await waitForProbe(page, 'painted') : null;
    const openCpu = cpuBetween(openCpu0, await cpuReading(cdp));
    const openRaw = await stopProfiler(cdp);
    const openProfile = new ProfileReader(openRaw);
    const navStart = await navigationStartUs(cdp);
    const probe = await probeState(page);
    const openEnd = Math.max(paneReadyMs, paintedMs ?? 0);
    const openWindow = withCpu(openProfile.summarize(navStart, navStart + openEnd * 1000, variant.prefix), openCpu);
    const pageScript = openProfile.samples.find((s) => openProfile.frameFrom(s.nodeId, `${serverUrl}/demo/`));
    const firstPageScriptMs = pageScript ? round((pageScript.at - navStart) / 1000, 2) : null;

    // Heap once things have settled, after forced full GCs.
    await page.waitForTimeout(SETTLE_MS);
    const open = { ...openWindow, cpuSettled: cpuBetween(openCpu0, await cpuReading(cdp)) };
    const heap = await heapAfterGc(cdp);

    // The agent types a reply in the composer.
    await stopProbe(page);
    await page.locator(COMPOSER).click();
    await page.keyboard.press('Control+End');
    await page.waitForTimeout(300);
    await startProfiler(cdp, TYPING_SAMPLING_US);
    const typingFrom = await page.evaluate(() => performance.now());
    const typingCpu0 = await cpuReading(cdp);
    await page.keyboard.type(REPLY, { delay: TYPE_DELAY_MS });
    // The overlay re-reads the ticket at most every 150 ms: let the last one run.
    await page.waitForTimeout(400);
    const typingTo = await page.evaluate(() => performance.now());
    const typingCpu = cpuBetween(typingCpu0, await cpuReading(cdp));
    const typingRaw = await stopProfiler(cdp);
    const typingProfile = new ProfileReader(typingRaw);
    if (SAVE_PROFILES) {
      mkdirSync(SAVE_PROFILES, { recursive: true });
      writeFileSync(join(SAVE_PROFILES, `${variant.name}-${run}-open.cpuprofile`), JSON.stringify(openRaw));
      writeFileSync(join(SAVE_PROFILES, `${variant.name}-${run}-typing.cpuprofile`), JSON.stringify(typingRaw));
    }
    const typedChars = await page.evaluate(
      (selector) => (document.querySelector(selector) as unknown as { ckeditorInstance: { getData(): string } }).ckeditorInstance.getData().replace(/<[^>]*>/g, '').length,
      COMPOSER,
    );
    const { longTasks } = await probeState(page);
    const during = longTasks.filter((t) => t.start >= typingFrom && t.start < typingTo && t.duration > LONG_TASK_MS);
    const at = (ms: number) => navStart + ms * 1000;
    return {
      variant: variant.name,
      run,
      paneReadyMs: round(paneReadyMs),
      panelMs: probe.panelAt === null ? null : round(probe.panelAt),
      suggestionsMs: probe.suggestionsAt === null ? null : round(probe.suggestionsAt),
      paintedMs: paintedMs === null ? null : round(paintedMs),
      open,
      firstPageScriptMs,
      heap,
      typing: {
        chars: REPLY.length,
        typedChars,
        window: withCpu(typingProfile.summarize(at(typingFrom), at(typingTo), variant.prefix), typingCpu),
        longTasks: during.map((t) => {
          const inside = typingProfile.summarize(at(t.start), at(t.start + t.duration), variant.prefix);
          return {
            startMs: round(t.start - typingFrom),
            durationMs: round(t.duration),
            extensionMs: inside.extensionMs,
            causedByExtension: inside.extensionMs > 0 && t.duration - inside.extensionMs <= LONG_TASK_MS,
            topExtensionFunctions: inside.topFunctions.slice(0, 5),
          };
        }),
      },
    };
  } finally {
    await context.close();
  }
}

function withCpu(summary: WindowSummary, cpu: CpuReading) {
  const ratio = summary.busyMs > 0 ? Math.min(1, cpu.thread / summary.busyMs) : 1;
  return { ...summary, cpu, extensionCpuMs: round(summary.extensionMs * ratio, 2) };
}

function describeRun(r: RunResult): string {
  const lt = r.typing.longTasks;
  return (
    `  ${r.variant.padEnd(7)} run ${r.run}: pane ${r.paneReadyMs} ms, painted ${r.paintedMs ?? '—'} ms, ` +
    `busy ${r.open.busyMs} ms, cpu ${r.open.cpu.thread} ms (extension ${r.open.extensionMs} ms, ≈ ${r.open.extensionCpuMs} ms cpu), heap ${(r.heap.jsUsed / MB).toFixed(2)} MB, ` +
    `typing: ${lt.length} long tasks (${lt.filter((t) => t.extensionMs > 0).length} with extension frames), extension ${r.typing.window.extensionMs} ms`
  );
}

const server = await startTestServer('pglite', { demo: true });
const dirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `loopdesk-overlay-bench-${name}-`));
  dirs.push(dir);
  return dir;
};
try {
  // The extension configured the way an agent does it, once; later launches reuse the profile.
  const withProfile = tempDir('with');
  const setup = await launchWithExtension(withProfile);
  const extensionId = await extensionIdOf(setup);
  await configureExtension(setup, extensionId, server.url, server.demoToken!);
  const userAgent = await (setup.pages()[0] ?? (await setup.newPage())).evaluate(() => navigator.userAgent);
  await setup.close();

  const variants: Record<VariantName, Variant> = {
    with: { name: 'with', profileDir: withProfile, prefix: `chrome-extension://${extensionId}/` },
    without: { name: 'without', profileDir: tempDir('without'), prefix: 'chrome-extension://' },
  };

  // One discarded warm-up each (empty HTTP cache, first launch of the profile), then interleaved runs.
  console.log('warm-up…');
  for (const v of Object.values(variants)) console.log(describeRun(await oneRun(v, 0, server.url)));
  const runs: RunResult[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const order: VariantName[] = i % 2 ? ['with', 'without'] : ['without', 'with'];
    for (const name of order) {
      const r = await oneRun(variants[name], i, server.url);
      console.log(describeRun(r));
      runs.push(r);
    }
  }

  const of = (name: VariantName) => runs.filter((r) => r.variant === name);
  const w = of('with');
  const wo = of('without');
  const stat = (values: number[], digits = 1) => ({ median: round(median(values), digits), max: round(max(values), digits), runs: values.map((v) => round(v, digits)) });
  const mb = (bytes: number) => bytes / MB;

  const bundle = contentScriptFiles(EXTENSION_DIR);
  const heapAdded = {
    jsUsedMB: round(mb(median(w.map((r) => r.heap.jsUsed)) - median(wo.map((r) => r.heap.jsUsed))), 2),
    metricsJsUsedMB: round(mb(median(w.map((r) => r.heap.metricsJsUsed)) - median(wo.map((r) => r.heap.metricsJsUsed))), 2),
    embedderUsedMB: w[0]?.heap.embedderUsed == null ? null : round(mb(median(w.map((r) => r.heap.embedderUsed!)) - median(wo.map((r) => r.heap.embedderUsed!))), 2),
    nodes: median(w.map((r) => r.heap.nodes)) - median(wo.map((r) => r.heap.nodes)),
    jsEventListeners: median(w.map((r) => r.heap.jsEventListeners)) - median(wo.map((r) => r.heap.jsEventListeners)),
  };
  const longTasksWith = w.flatMap((r) => r.typing.longTasks);
  const longTasksWithout = wo.flatMap((r) => r.typing.longTasks);
  const openExtension = stat(w.map((r) => r.open.extensionMs));
  const openExtensionCpu = stat(w.map((r) => r.open.extensionCpuMs));
  const cpuAdded = round(median(w.map((r) => r.open.cpuSettled.thread)) - median(wo.map((r) => r.open.cpuSettled.thread)));
  const cpuStat = (rs: RunResult[], pick: (r: RunResult) => CpuReading) =>
    Object.fromEntries((['thread', 'script', 'compile', 'layout', 'style'] as const).map((k) => [k, round(median(rs.map((r) => pick(r)[k])))])) as unknown as CpuReading;
  const typingExtensionPerKey = stat(w.map((r) => (r.typing.window.extensionMs / r.typing.chars) * 1000), 0);

  // The run nearest the median extension time, to show where that time goes.
  const typical = [...w].sort((a, b) => a.open.extensionMs - b.open.extensionMs)[Math.floor(w.length / 2)]!;
  const typicalTyping = [...w].sort((a, b) => a.typing.window.extensionMs - b.typing.window.extensionMs)[Math.floor(w.length / 2)]!;

  const result = {
    date: new Date().toISOString(),
    browser: userAgent,
    database: server.database.kind,
    ticket: TICKET,
    runs: RUNS,
    samplingIntervalUs: { open: OPEN_SAMPLING_US, typing: TYPING_SAMPLING_US },
    typing: { chars: REPLY.length, delayMs: TYPE_DELAY_MS },
    bundle: {
      files: bundle,
      totalBytes: bundle.reduce((n, f) => n + f.bytes, 0),
      totalGzipBytes: bundle.reduce((n, f) => n + f.gzipBytes, 0),
    },
    heap: {
      withExtensionMB: stat(w.map((r) => mb(r.heap.jsUsed)), 2),
      withoutExtensionMB: stat(wo.map((r) => mb(r.heap.jsUsed)), 2),
      added: heapAdded,
      perRun: runs.map((r) => ({ variant: r.variant, run: r.run, ...r.heap })),
    },
    ticketOpen: {
      extensionMainThreadMs: openExtension,
      paintedMs: stat(w.map((r) => r.paintedMs!)),
      suggestionsInDomMs: stat(w.map((r) => r.suggestionsMs!)),
      panelMs: stat(w.map((r) => r.panelMs!)),
      paneReadyMs: { with: stat(w.map((r) => r.paneReadyMs)), without: stat(wo.map((r) => r.paneReadyMs)) },
      extensionCpuMs: openExtensionCpu,
      overlayAfterPaneMs: stat(w.map((r) => r.paintedMs! - r.paneReadyMs)),
      busyMs: { with: stat(w.map((r) => r.open.busyMs)), without: stat(wo.map((r) => r.open.busyMs)) },
      cpuMs: { with: cpuStat(w, (r) => r.open.cpu), without: cpuStat(wo, (r) => r.open.cpu) },
      cpuSettledMs: { with: cpuStat(w, (r) => r.open.cpuSettled), without: cpuStat(wo, (r) => r.open.cpuSettled) },
      cpuAddedMs: cpuAdded,
      baselineExtensionMs: stat(wo.map((r) => r.open.extensionMs)),
      firstPageScriptMs: { with: stat(w.map((r) => r.firstPageScriptMs ?? NaN)), without: stat(wo.map((r) => r.firstPageScriptMs ?? NaN)) },
      typicalRun: { run: typical.run, byScript: typical.open.byScript, byEntry: typical.open.byEntry, topFunctions: typical.open.topFunctions },
    },
    typingRun: {
      typedChars: stat(runs.map((r) => r.typing.typedChars), 0),
      extensionMs: stat(w.map((r) => r.typing.window.extensionMs)),
      extensionCpuMs: stat(w.map((r) => r.typing.window.extensionCpuMs)),
      extensionUsPerKey: typingExtensionPerKey,
      busyMs: { with: stat(w.map((r) => r.typing.window.busyMs)), without: stat(wo.map((r) => r.typing.window.busyMs)) },
      cpuMs: { with: cpuStat(w, (r) => r.typing.window.cpu), without: cpuStat(wo, (r) => r.typing.window.cpu) },
      longTasks: {
        with: { total: longTasksWith.length, perRun: w.map((r) => r.typing.longTasks.length), withExtensionFrames: longTasksWith.filter((t) => t.extensionMs > 0).length, causedByExtension: longTasksWith.filter((t) => t.causedByExtension).length },
        without: { total: longTasksWithout.length, perRun: wo.map((r) => r.typing.longTasks.length) },
        list: runs.flatMap((r) => r.typing.longTasks.map((t) => ({ variant: r.variant, run: r.run, ...t }))),
      },
      typicalRun: { run: typicalTyping.run, byScript: typicalTyping.typing.window.byScript, byEntry: typicalTyping.typing.window.byEntry, topFunctions: typicalTyping.typing.window.topFunctions },
    },
    goals: [
      { goal: 'JS heap the extension adds to the tab', target: `≤ ${GOALS.heapAddedMB} MB`, value: `${heapAdded.jsUsedMB} MB`, pass: heapAdded.jsUsedMB <= GOALS.heapAddedMB },
      { goal: 'Extension main-thread time, ticket open → overlay painted (median; max)', target: `≤ ${GOALS.openMainThreadMs} ms`, value: `${openExtension.median} ms; ${openExtension.max} ms (CPU-time share ≈ ${openExtensionCpu.median} ms)`, pass: openExtension.median <= GOALS.openMainThreadMs },
      {
        goal: `… cross-check: main-thread CPU time the extension adds at ticket open (with − without, until ${SETTLE_MS / 1000} s after ready)`,
        target: `≤ ${GOALS.openMainThreadMs} ms`,
        value: `${cpuAdded} ms`,
        pass: cpuAdded <= GOALS.openMainThreadMs,
      },
      {
        goal: `Long tasks (> ${LONG_TASK_MS} ms) caused by the extension while typing (${RUNS} runs × ${REPLY.length} chars)`,
        target: `${GOALS.extensionLongTasks}`,
        value: `${longTasksWith.filter((t) => t.causedByExtension).length}${REPLY.length < MIN_TYPED ? ` (only ${REPLY.length} chars typed: not a measurement of the goal)` : ''}`,
        pass: REPLY.length < MIN_TYPED ? null : longTasksWith.filter((t) => t.causedByExtension).length <= GOALS.extensionLongTasks,
      },
    ],
  };
  const out = resolve(RESULTS, OUT);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ ...result, perRun: runs }, null, 2));
  const md = markdown(result);
  writeFileSync(`${out}.md`, md);
  console.log(`\n${md}`);
} finally {
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function markdown(r: any): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const rows = (list: { name: string; ms: number }[], code = true) => list.map((x) => `| ${code ? `\`${x.name}\`` : x.name} | ${x.ms} |`);
  const o = r.ticketOpen;
  const t = r.typingRun;
  const h = r.heap;
  const lines: string[] = [
    `# Overlay cost on the helpdesk tab (${r.date.slice(0, 10)})`,
    '',
    `${r.browser.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? r.browser}, demo helpdesk ticket #${r.ticket} (${r.database} server, extractive replies), ` +
      `${r.runs} runs with the built extension and ${r.runs} without it (separate launches, interleaved, after one warm-up each); medians unless marked.`,
    '',
    '## Goals',
    '',
    '| figure | goal | measured | |',
    '|---|---|---|---|',
    ...r.goals.map((g: any) => `| ${g.goal} | ${g.target} | ${g.value} | ${g.pass === null ? 'not measured' : g.pass ? 'pass' : '**FAIL**'} |`),
    '',
    '## Bundle',
    '',
    '| file | loaded as | raw | gzip -9 |',
    '|---|---|---|---|',
    ...r.bundle.files.map((f: any) => `| ${f.file} | ${f.role} | ${kb(f.bytes)} | ${kb(f.gzipBytes)} |`),
    `| total | | ${kb(r.bundle.totalBytes)} | ${kb(r.bundle.totalGzipBytes)} |`,
    '',
    '## Heap',
    '',
    "After three forced full GCs (`HeapProfiler.collectGarbage`), the overlay showing its suggestions. The content script's isolated world and the main-world bridge share the tab's V8 heap. MB = 2^20 bytes.",
    '',
    '| | with extension | without | added |',
    '|---|---|---|---|',
    `| JS heap used (\`Runtime.getHeapUsage\`), MB | ${h.withExtensionMB.median} | ${h.withoutExtensionMB.median} | **${h.added.jsUsedMB}** |`,
    `| JSHeapUsedSize (\`Performance.getMetrics\`), MB | | | ${h.added.metricsJsUsedMB} |`,
    ...(h.added.embedderUsedMB === null ? [] : [`| Blink (embedder) heap, MB | | | ${h.added.embedderUsedMB} |`]),
    `| DOM nodes | | | ${h.added.nodes} |`,
    `| JS event listeners | | | ${h.added.jsEventListeners} |`,
    '',
    '## Ticket open',
    '',
    `CPU profile of the tab's main thread (sampled every ${r.samplingIntervalUs.open} µs) from navigation start until the overlay had painted its suggestions. ` +
      "\"Extension\" is every sample whose JS stack holds a frame from the extension's scripts, with the native work those frames called (a forced layout, a DOM call); " +
      'style, layout, paint and GC the browser runs for the overlay outside such calls are not in it, but are in the busy and CPU figures. ' +
      'Sampled time is wall-clock: on a loaded machine it includes time the thread waited for a core. The CPU columns are thread CPU time ' +
      '(`Performance.getMetrics` with `threadTicks`); "CPU-time share" scales the extension\'s samples by the window\'s CPU / busy ratio.',
    '',
    '| | median | max |',
    '|---|---|---|',
    `| extension main-thread time (sampled), ms | **${o.extensionMainThreadMs.median}** | ${o.extensionMainThreadMs.max} |`,
    `| extension main-thread time, CPU-time share, ms | ${o.extensionCpuMs.median} | ${o.extensionCpuMs.max} |`,
    `| wall time to overlay painted, ms | **${o.paintedMs.median}** | ${o.paintedMs.max} |`,
    `| wall time to overlay panel shown ("Finding replies…"), ms | ${o.panelMs.median} | ${o.panelMs.max} |`,
    `| helpdesk composer ready, with / without extension, ms | ${o.paneReadyMs.with.median} / ${o.paneReadyMs.without.median} | ${o.paneReadyMs.with.max} / ${o.paneReadyMs.without.max} |`,
    `| helpdesk's own first script sampled (after the document_start content scripts), with / without extension, ms | ${o.firstPageScriptMs.with.median} / ${o.firstPageScriptMs.without.median} | ${o.firstPageScriptMs.with.max} / ${o.firstPageScriptMs.without.max} |`,
    `| overlay painted after the composer was ready, ms | ${o.overlayAfterPaneMs.median} | ${o.overlayAfterPaneMs.max} |`,
    `| main thread busy (sampled) until ready — overlay painted / composer ready — with / without, ms | ${o.busyMs.with.median} / ${o.busyMs.without.median} | ${o.busyMs.with.max} / ${o.busyMs.without.max} |`,
    '',
    `| main-thread CPU time, ms | with extension, until overlay painted | without, until composer ready | with, until ${SETTLE_MS / 1000} s after ready | without, same | added |`,
    '|---|---|---|---|---|---|',
    ...(['thread', 'script', 'compile', 'layout', 'style'] as const).map(
      (k) =>
        `| ${k === 'thread' ? 'all' : k} | ${o.cpuMs.with[k]} | ${o.cpuMs.without[k]} | ${o.cpuSettledMs.with[k]} | ${o.cpuSettledMs.without[k]} | ${round(o.cpuSettledMs.with[k] - o.cpuSettledMs.without[k])} |`,
    ),
    '',
    `Where the extension's time went at ticket open (run ${o.typicalRun.run}, the median one), by what the browser ran:`,
    '',
    '| entry | ms |',
    '|---|---|',
    ...rows(o.typicalRun.byEntry),
    '',
    '| innermost extension function | ms |',
    '|---|---|',
    ...rows(o.typicalRun.topFunctions),
    '',
    '## Typing',
    '',
    `${r.typing.chars} characters typed into the CKEditor composer with \`page.keyboard\` (${r.typing.delayMs} ms between keys), the overlay showing its suggestions; ` +
      `long tasks from a \`PerformanceObserver('longtask')\` registered at document start, CPU profile sampled every ${r.samplingIntervalUs.typing} µs. ` +
      `A long task is "caused by the extension" when it would not have exceeded ${LONG_TASK_MS} ms without the extension's samples in it.`,
    '',
    '| | with extension | without |',
    '|---|---|---|',
    `| long tasks > ${LONG_TASK_MS} ms, all runs (per run) | ${t.longTasks.with.total} (${t.longTasks.with.perRun.join(', ')}) | ${t.longTasks.without.total} (${t.longTasks.without.perRun.join(', ')}) |`,
    `| … holding extension frames | ${t.longTasks.with.withExtensionFrames} | |`,
    `| … caused by the extension | **${t.longTasks.with.causedByExtension}** | |`,
    `| main-thread CPU time while typing, ms | ${t.cpuMs.with.thread} | ${t.cpuMs.without.thread} |`,
    `| extension main-thread time while typing (sampled), ms (median; max) | ${t.extensionMs.median}; ${t.extensionMs.max} | |`,
    `| extension time per key (sampled), µs | ${t.extensionUsPerKey.median} | |`,
    '',
    `Where the extension's typing time went (run ${t.typicalRun.run}):`,
    '',
    '| entry | ms |',
    '|---|---|',
    ...rows(t.typicalRun.byEntry),
    '',
    '| innermost extension function | ms |',
    '|---|---|',
    ...rows(t.typicalRun.topFunctions),
    '',
  ];
  const withFrames = t.longTasks.list.filter((l: LongTask) => l.extensionMs > 0);
  if (withFrames.length) {
    lines.push('Long tasks while typing that hold extension frames (all long tasks: overlay.json):', '', '| run | at, ms | duration, ms | extension, ms | extension functions |', '|---|---|---|---|---|');
    for (const l of withFrames) lines.push(`| ${l.run} | ${l.startMs} | ${l.durationMs} | ${l.extensionMs} | ${l.topExtensionFunctions.map((f: { name: string }) => `\`${f.name}\``).join(', ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
