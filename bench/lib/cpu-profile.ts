/**
 * Reading a V8 CPU profile (CDP `Profiler.stop`) on the renderer's main thread: how much of a time
 * window was busy, and how much of it ran code from a given script origin (the extension's
 * `chrome-extension://<id>/`). Profile times are microseconds on the same monotonic clock as CDP's
 * `Performance.getMetrics` `NavigationStart` (seconds), which is how page times are mapped onto it.
 */

export interface CallFrame {
  functionName: string;
  url: string;
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
  timeDeltas?: number[];
}

/** One sample and the time it stands for (until the next sample), in µs on the profile's clock. */
export interface Sample {
  at: number;
  duration: number;
  nodeId: number;
}

/** Nodes that stand for the thread doing nothing. */
const IDLE = new Set(['(idle)']);

export class ProfileReader {
  readonly samples: Sample[];
  private readonly byId = new Map<number, ProfileNode>();
  private readonly parentOf = new Map<number, number>();
  /** Per node: the first frame on its stack (itself, then towards the root) whose URL has the prefix. */
  private readonly originMemo = new Map<string, Map<number, CallFrame | null>>();

  constructor(readonly profile: CpuProfile) {
    for (const node of profile.nodes) {
      this.byId.set(node.id, node);
      for (const child of node.children ?? []) this.parentOf.set(child, node.id);
      if (node.parent !== undefined) this.parentOf.set(node.id, node.parent);
    }
    const ids = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    const times: number[] = [];
    let t = profile.startTime;
    for (let i = 0; i < ids.length; i++) times.push((t += deltas[i] ?? 0));
    this.samples = ids.map((nodeId, i) => ({
      at: times[i]!,
      duration: Math.max(0, (i + 1 < times.length ? times[i + 1]! : profile.endTime) - times[i]!),
      nodeId,
    }));
  }

  node(id: number): ProfileNode {
    return this.byId.get(id)!;
  }

  isIdle(nodeId: number): boolean {
    return IDLE.has(this.node(nodeId).callFrame.functionName);
  }

  /** The innermost frame of the sample's stack that comes from a script whose URL starts with `prefix`. */
  frameFrom(nodeId: number, prefix: string): CallFrame | null {
    let memo = this.originMemo.get(prefix);
    if (!memo) this.originMemo.set(prefix, (memo = new Map()));
    const cached = memo.get(nodeId);
    if (cached !== undefined) return cached;
    const node = this.node(nodeId);
    const parent = this.parentOf.get(nodeId);
    const found = node.callFrame.url.startsWith(prefix) ? node.callFrame : parent === undefined ? null : this.frameFrom(parent, prefix);
    memo.set(nodeId, found);
    return found;
  }

  /** The outermost frame of the sample's stack from a script under `prefix`: what the browser called into. */
  entryFrom(nodeId: number, prefix: string): CallFrame | null {
    let entry: CallFrame | null = null;
    for (let id: number | undefined = nodeId; id !== undefined; id = this.parentOf.get(id)) {
      const frame = this.node(id).callFrame;
      if (frame.url.startsWith(prefix)) entry = frame;
    }
    return entry;
  }

  /** The samples that fall in [from, to) (µs on the profile clock). */
  within(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }

  /** Busy and extension time in [from, to), with the extension's time split by script and function. */
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
      // Self time by the extension's innermost function (native work it triggered counts to it).
      const key = name(frame, script);
      byFunction.set(key, (byFunction.get(key) ?? 0) + s.duration);
      // …and by the extension's outermost one: a script's top level is its evaluation, the rest are callbacks.
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
