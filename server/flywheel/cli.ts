import { Presets, SingleBar } from 'cli-progress';
import type { ModelSummary } from './models';
import type { FlywheelResult, FlywheelStage } from './run';

/**
 * Progress of a flywheel run on stderr: one bar per stage as it advances. A run through a server
 * reports nothing until it ends (the admin API answers once), so the bar then shows no steps.
 */
export class FlywheelBar {
  private readonly bar = new SingleBar(
    { stream: process.stderr, format: 'flywheel {stage} {bar} {value}/{total}', hideCursor: true, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5_000 },
    Presets.shades_classic,
  );
  private stage: FlywheelStage | null = null;
  private running = false;
  /** Seconds spent in each stage, in the order they were first reported (a stage may be re-entered). */
  readonly seconds = new Map<FlywheelStage, number>();
  private since = performance.now();

  update = (stage: FlywheelStage, done: number, total: number): void => {
    const now = performance.now();
    if (this.stage) this.seconds.set(this.stage, (this.seconds.get(this.stage) ?? 0) + (now - this.since) / 1000);
    this.since = now;
    if (!this.running) {
      this.bar.start(total, done, { stage });
      this.running = true;
    } else if (stage !== this.stage) {
      this.bar.setTotal(total);
    }
    this.stage = stage;
    this.bar.update(done, { stage });
  };

  stop(): void {
    if (this.running) this.bar.stop();
    if (this.stage) this.seconds.set(this.stage, (this.seconds.get(this.stage) ?? 0) + (performance.now() - this.since) / 1000);
    this.stage = null;
    this.running = false;
  }

  /** `stages: export 1.2 s, retrieve 3.4 s, …` for a run in this process; null when nothing was reported. */
  summary(): string | null {
    if (!this.seconds.size) return null;
    return `stages: ${[...this.seconds].map(([stage, s]) => `${stage} ${s.toFixed(1)} s`).join(', ')}`;
  }
}

const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(3));

export function printFlywheelResult(result: FlywheelResult): void {
  printRetrieval(result);
  const g = result.generation;
  console.log(`reply memory: adopted replies ${g.trainedOn.adoptedReplies} (${g.trainedOn.heldOutReplies} held out)`);
  if (g.status === 'skipped') {
    console.log(`  nothing learned: ${g.reason}`);
    return;
  }
  const h = g.heldOut!;
  const current = h.current.version === null ? 'no memory' : `v${h.current.version}`;
  console.log(`  token F1     ${current}: ${fmt(h.current.tokenF1)}  candidate: ${fmt(h.candidate.tokenF1)} (memory used for ${(100 * h.candidate.usedMemory).toFixed(0)}%)`);
  console.log(`reply memory v${g.version} (${g.modelId}) ${g.status === 'promoted' ? 'promoted' : 'kept as a candidate: it does not beat ' + current}`);
}

function printRetrieval(result: FlywheelResult): void {
  const t = result.trainedOn;
  console.log(`judged queries ${t.queries} (${t.heldOutQueries} held out), labels ${t.labels}, positives ${t.positives}, articles ${t.articles}`);
  if (result.status === 'skipped') {
    console.log(`nothing learned: ${result.reason}`);
    return;
  }
  const h = result.heldOut!;
  const current = h.current.version === null ? 'no model' : `v${h.current.version}`;
  for (const m of ['recall@75', 'precision@8', 'MRR@8', 'nDCG@8'] as const) console.log(`  ${m.padEnd(12)} ${current}: ${fmt(h.current[m])}  candidate: ${fmt(h.candidate[m])}`);
  console.log(`model v${result.version} (${result.modelId}) ${result.status === 'promoted' ? 'promoted' : 'kept as a candidate: it does not beat ' + current} in ${result.seconds.toFixed(1)} s`);
}

export function printModels(models: ModelSummary[]): void {
  if (!models.length) {
    console.log('no model versions');
    return;
  }
  for (const m of models) {
    const held = (m.metrics as { heldOut?: { candidate?: Record<string, number> } }).heldOut?.candidate ?? {};
    const metrics = m.kind === 'retrieval' ? `held-out MRR@8 ${fmt(held['MRR@8'])} recall@75 ${fmt(held['recall@75'])}` : `held-out token F1 ${fmt(held.tokenF1)}`;
    console.log(`v${m.version}  ${m.status.padEnd(9)}  ${m.id}  ${m.createdAt}  ${metrics}`);
  }
}
