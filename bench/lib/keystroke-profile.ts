/**
 * Reading a V8 CPU profile (CDP `Profiler.stop`) for a bench: which samples ran a given script's
 * code, and how they fall between marker calls (one marker call per keystroke).
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; scriptId: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample (the first one: since `startTime`). */
  timeDeltas: number[];
}

export interface Sample {
  /** Microseconds, profile clock. */
  at: number;
  /** How long this sample stands for: the gap to the next one (µs). */
  duration: number;
  node: number;
}

/**
 * The samples in time order. A sample stands for the time until the next one, but at most
 * `maxDurationUs`: when the machine is busy the sampler can pause for tens of milliseconds, and that
 * wall time says nothing about what the sampled function cost.
 */
export function samplesOf(profile: CpuProfile, maxDurationUs = Infinity): Sample[] {
  const out: Sample[] = [];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!;
    const next = i + 1 < profile.samples.length ? profile.timeDeltas[i + 1]! : Math.max(0, profile.endTime - at);
    out.push({ at, duration: Math.min(next, maxDurationUs), node: profile.samples[i]! });
  }
  return out;
}

/**
 * For each node: whether its own frame matches (`self`), and whether any frame on its stack does
 * (`inclusive`: the matching code and everything it called, browser builtins and page code included).
 */
export function classifyNodes(profile: CpuProfile, matches: (frame: CpuProfileNode['callFrame']) => boolean) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Set<number>();
  const inclusive = new Set<number>();
  const memo = new Map<number, boolean>();
  const onStack = (id: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    // Iteratively up to the first node whose answer is known or to the root.
    const path: number[] = [];
    let cur: number | undefined = id;
    let found = false;
    while (cur !== undefined) {
      const k = memo.get(cur);
      if (k !== undefined) {
        found = k;
        break;
      }
      path.push(cur);
      if (matches(byId.get(cur)!.callFrame)) {
        found = true;
        break;
      }
      cur = parent.get(cur);
    }
    // Nodes below a match are inside it; nodes on a path that found nothing are not.
    for (const p of path) memo.set(p, found);
    return found;
  };
  for (const n of profile.nodes) {
    if (matches(n.callFrame)) self.add(n.id);
    if (onStack(n.id)) inclusive.add(n.id);
  }
  return { self, inclusive };
}

/** Nodes whose own frame is the named function (a marker). */
export function nodesNamed(profile: CpuProfile, functionName: string): Set<number> {
  return new Set(profile.nodes.filter((n) => n.callFrame.functionName === functionName).map((n) => n.id));
}

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
    const m = markers.findIndex((set) => set.has(s.node));
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
export function windowsFrom(starts: number[], end: number): { start: number; end: number }[] {
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? end }));
}

/** Sum of sample durations (µs) in nodes of `set`, per window. */
export function timePerWindow(samples: Sample[], windows: { start: number; end: number }[], set: Set<number>): number[] {
  const out = windows.map(() => 0);
  let w = 0;
  for (const s of samples) {
    while (w < windows.length && s.at >= windows[w]!.end) w++;
    if (w >= windows.length) break;
    if (s.at < windows[w]!.start) continue;
    if (set.has(s.node)) out[w]! += s.duration;
  }
  return out;
}

export function totalTime(samples: Sample[], set: Set<number>): number {
  let total = 0;
  for (const s of samples) if (set.has(s.node)) total += s.duration;
  return total;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
