/**
 * Reading a V8 CPU profile (CDP `Profiler.stop`) of the renderer's main thread, for the benches:
 * which samples ran code from a script origin (the extension's `chrome-extension://<id>/`), and how
 * that time falls into windows: time windows with the thread's busy time (overlay), or one window per
 * keystroke between the calls of a marker function (adoption).
 *
 * Profile times are microseconds on the same monotonic clock as CDP's `Performance.getMetrics`
 * `NavigationStart` (seconds), which is how page times are mapped onto it.
 */
import { percentile } from './metrics';

export interface CallFrame {
  functionName: string;
  url: string;
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  parent?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Microseconds since the previous sample (the first one: since `startTime`). */
  timeDeltas?: number[];
}

/** One sample and the time it stands for (until the next sample), in µs on the profile's clock. */
export interface Sample {
  at: number;
  duration: number;
  nodeId: number;
}

/** A question about one frame of a stack, e.g. "is it from this script origin?". */
export type FrameTest = (frame: CallFrame) => boolean;

/** Consecutive windows, each [start, end) in µs on the profile clock. */
export interface Window {
  start: number;
  end: number;
}

/** Nodes that stand for the thread doing nothing. */
const IDLE = new Set(['(idle)']);

/**
 * The samples in the profile's order. A sample stands for the time until the next one (the last one:
 * until the profile's end), but at most `maxDurationUs`: when the machine is busy the sampler can
 * pause for tens of milliseconds, and that wall time says nothing about what the sampled function
 * cost. V8 now and then records a sample a few µs before the one preceding it (a negative time
 * delta); the sample before such a one stands for no time rather than for a negative time.
 */
export function samplesOf(profile: CpuProfile, maxDurationUs = Infinity): Sample[] {
  const ids = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const out: Sample[] = [];
  let at = profile.startTime;
  for (let i = 0; i < ids.length; i++) {
    at += deltas[i] ?? 0;
    const next = i + 1 < ids.length ? (deltas[i + 1] ?? 0) : profile.endTime - at;
    out.push({ at, duration: Math.min(Math.max(0, next), maxDurationUs), nodeId: ids[i]! });
  }
  return out;
}

export class ProfileReader {
  readonly samples: Sample[];
  private readonly byId = new Map<number, ProfileNode>();
  private readonly parentOf = new Map<number, number>();
  /** One test per script origin, so that its answers are kept (see `innermostFrame`). */
  private readonly originTests = new Map<string, FrameTest>();
  /** Per test, per node: the innermost frame on the node's stack that passes it. */
  private readonly innermostMemo = new Map<FrameTest, Map<number, CallFrame | null>>();

  /** `maxSampleUs`: the most time one sample stands for (see `samplesOf`). */
  constructor(readonly profile: CpuProfile, { maxSampleUs = Infinity }: { maxSampleUs?: number } = {}) {
    for (const node of profile.nodes) {
      this.byId.set(node.id, node);
      for (const child of node.children ?? []) this.parentOf.set(child, node.id);
      if (node.parent !== undefined) this.parentOf.set(node.id, node.parent);
    }
    this.samples = samplesOf(profile, maxSampleUs);
  }

  node(id: number): ProfileNode {
    return this.byId.get(id)!;
  }

  isIdle(nodeId: number): boolean {
    return IDLE.has(this.node(nodeId).callFrame.functionName);
  }

  /** Frames of code from scripts whose URL starts with `prefix`: the one test of a script origin. */
  originTest(prefix: string): FrameTest {
    let test = this.originTests.get(prefix);
    if (!test) this.originTests.set(prefix, (test = (frame) => frame.url.startsWith(prefix)));
    return test;
  }

  /** The innermost frame of the node's stack (itself, then towards the root) that passes `test`; answers are kept per test. */
  innermostFrame(nodeId: number, test: FrameTest): CallFrame | null {
    let memo = this.innermostMemo.get(test);
    if (!memo) this.innermostMemo.set(test, (memo = new Map()));
    // Up to the first node whose answer is known, one that passes, or the root…
    const path: number[] = [];
    let found: CallFrame | null = null;
    for (let id: number | undefined = nodeId; id !== undefined; id = this.parentOf.get(id)) {
      const known = memo.get(id);
      if (known !== undefined) {
        found = known;
        break;
      }
      path.push(id);
      const frame = this.node(id).callFrame;
      if (test(frame)) {
        found = frame;
        break;
      }
    }
    // …and every node on the way has the same answer.
    for (const id of path) memo.set(id, found);
    return found;
  }

  /** The innermost frame of the node's stack from a script whose URL starts with `prefix`. */
  frameFrom(nodeId: number, prefix: string): CallFrame | null {
    return this.innermostFrame(nodeId, this.originTest(prefix));
  }

  /** The outermost frame of the node's stack from a script under `prefix`: what the browser called into. */
  entryFrom(nodeId: number, prefix: string): CallFrame | null {
    const test = this.originTest(prefix);
    let entry: CallFrame | null = null;
    for (let id: number | undefined = nodeId; id !== undefined; id = this.parentOf.get(id)) {
      const frame = this.node(id).callFrame;
      if (test(frame)) entry = frame;
    }
    return entry;
  }

  /**
   * The nodes whose own frame passes `test` (`self`), and those with such a frame anywhere on their
   * stack (`inclusive`: that code and everything it called, browser builtins and page code included).
   */
  nodesWhere(test: FrameTest): { self: Set<number>; inclusive: Set<number> } {
    const self = new Set<number>();
    const inclusive = new Set<number>();
    for (const { id, callFrame } of this.profile.nodes) {
      if (test(callFrame)) self.add(id);
      if (this.innermostFrame(id, test)) inclusive.add(id);
    }
    return { self, inclusive };
  }

  /** `nodesWhere` for the code of a script origin. */
  nodesFrom(prefix: string): { self: Set<number>; inclusive: Set<number> } {
    return this.nodesWhere(this.originTest(prefix));
  }

  /** The samples that fall in [from, to) (µs on the profile clock). */
  within(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }

  /** Busy and script-origin time in [from, to), with the origin's time split by script and function. */
  summarize(from: number, to: number, prefix: string): WindowSummary {
    let busy = 0;
    let own = 0;
    const byScript = new Map<string, number>();
    const byFunction = new Map<string, number>();
    const byEntry = new Map<string, number>();
    const name = (frame: CallFrame, script: string) => `${frame.functionName || '(anonymous)'} ${script}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
    for (const s of this.within(from, to)) {
      if (this.isIdle(s.nodeId)) continue;
      busy += s.duration;
      const frame = this.frameFrom(s.nodeId, prefix);
      if (!frame) continue;
      own += s.duration;
      const script = frame.url.slice(prefix.length);
      byScript.set(script, (byScript.get(script) ?? 0) + s.duration);
      // Self time by the origin's innermost function (native work it triggered counts to it).
      const key = name(frame, script);
      byFunction.set(key, (byFunction.get(key) ?? 0) + s.duration);
      // …and by its outermost one: a script's top level is its evaluation, the rest are callbacks.
      const entry = this.entryFrom(s.nodeId, prefix)!;
      const entryKey = entry.functionName === '' && entry.lineNumber === 0 && entry.columnNumber === 0 ? `evaluation of ${entry.url.slice(prefix.length)}` : name(entry, entry.url.slice(prefix.length));
      byEntry.set(entryKey, (byEntry.get(entryKey) ?? 0) + s.duration);
    }
    const ms = (us: number) => +(us / 1000).toFixed(2);
    const top = (m: Map<string, number>, n: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([name, us]) => ({ name, ms: ms(us) }));
    return { windowMs: ms(to - from), busyMs: ms(busy), extensionMs: ms(own), byScript: top(byScript, 10), byEntry: top(byEntry, 8), topFunctions: top(byFunction, 12) };
  }
}

export interface WindowSummary {
  windowMs: number;
  /** Main-thread time that was not idle: JS of every world, GC, and the renderer's own work (parsing, style, layout, paint). */
  busyMs: number;
  /** Samples whose JS stack holds a frame from the extension, including native work those frames called (e.g. a forced layout). */
  extensionMs: number;
  byScript: { name: string; ms: number }[];
  /** By the outermost extension frame: a script's evaluation, or the callback the browser ran (event, timer, message…). */
  byEntry: { name: string; ms: number }[];
  topFunctions: { name: string; ms: number }[];
}

// ─────────────── per-keystroke windows: between the calls of a marker function ───────────────

/**
 * Starts (µs, profile clock) of the calls of marker functions: consecutive calls alternate between the
 * given markers (each a set of nodes: the marker and what it calls), so back-to-back calls stay
 * apart; samples of one marker less than `sameCallWithinUs` apart are one call. A call the sampler
 * did not catch is missing (on a busy machine the sampler can pause for tens of milliseconds).
 */
export function markerCalls(samples: Sample[], markers: Set<number>[], sameCallWithinUs = 3_000): number[] {
  const starts: number[] = [];
  let previous = -1;
  let previousAt = -Infinity;
  for (const s of samples) {
    const m = markers.findIndex((set) => set.has(s.nodeId));
    if (m < 0) continue;
    if (m !== previous || s.at - previousAt > sameCallWithinUs) starts.push(s.at);
    previous = m;
    previousAt = s.at;
  }
  return starts;
}

/**
 * Puts page-clock times (`performance.now()` ms, taken as each marker call began) on the profile's
 * clock. The offset is the one under which the most sampled marker calls start just after a page
 * time, then set to the 10th percentile of those lags (a call is sampled after it begins; the page
 * clock is coarsened to about 100 µs, so a few lags come out slightly negative). Returned times are
 * moved `marginUs` earlier, so that what a keystroke triggers is never put in the window before it.
 */
export function alignPageTimes(
  pageMs: number[],
  calls: number[],
  { earliestUs = -1_000, latestUs = 3_000, marginUs = 500 } = {},
): { times: number[]; matched: number; offsetUs: number } {
  const page = pageMs.map((t) => t * 1000);
  const lags = (offset: number) => {
    const out: number[] = [];
    let i = 0;
    for (const call of calls) {
      // The page time nearest to the call.
      while (i + 1 < page.length && Math.abs(page[i + 1]! + offset - call) <= Math.abs(page[i]! + offset - call)) i++;
      const lag = call - (page[i]! + offset);
      if (lag >= earliestUs && lag <= latestUs) out.push(lag);
    }
    return out;
  };
  let best = { offset: 0, lags: [] as number[] };
  for (const call of calls.slice(0, 5)) {
    for (const t of page.slice(0, 20)) {
      const l = lags(call - t);
      if (l.length > best.lags.length) best = { offset: call - t, lags: l };
    }
  }
  const offsetUs = best.offset + (best.lags.length ? percentile(best.lags, 10) : 0);
  return { times: page.map((t) => t + offsetUs - marginUs), matched: lags(offsetUs).length, offsetUs };
}

/** Consecutive windows from each start to the next (the last to `end`). */
export function windowsFrom(starts: number[], end: number): Window[] {
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? end }));
}

/** Sum of sample durations (µs) in nodes of `set`, per window (consecutive windows, samples in time order). */
export function timePerWindow(samples: Sample[], windows: Window[], set: Set<number>): number[] {
  const out = windows.map(() => 0);
  let w = 0;
  for (const s of samples) {
    while (w < windows.length && s.at >= windows[w]!.end) w++;
    if (w >= windows.length) break;
    if (s.at < windows[w]!.start) continue;
    if (set.has(s.nodeId)) out[w]! += s.duration;
  }
  return out;
}

/** Sum of sample durations (µs) in nodes of `set`. */
export function totalTime(samples: Sample[], set: Set<number>): number {
  let total = 0;
  for (const s of samples) if (set.has(s.nodeId)) total += s.duration;
  return total;
}
