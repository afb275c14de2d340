import { Presets, SingleBar } from 'cli-progress';
import type { KbRecord, ReadOptions } from '../kb/import';

/** How often a non-terminal stderr (CI logs, a file) gets a progress line. */
const PLAIN_LINE_EVERY_MS = 5_000;

/**
 * Import progress on stderr, measured in bytes of input read (known before any record is parsed, so
 * the percentage and ETA are real) with the records read alongside. On a terminal it is a bar drawn
 * in place; elsewhere it is a plain line every few seconds, so CI logs show a long import moving
 * without filling up with redraws.
 */
export class ImportProgress implements ReadOptions {
  private readonly bar: SingleBar;
  private started = performance.now();
  private total = 0;
  private read = 0;
  private records = 0;
  private running = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    const tty = Boolean(stream.isTTY);
    this.bar = new SingleBar(
      {
        stream,
        format: tty
          ? 'kb import {bar} {percentage}% | {records} records | {rate}/s | ETA {left}'
          : 'kb import: {percentage}% of {size} read, {records} records, {rate}/s',
        hideCursor: tty,
        clearOnComplete: tty,
        noTTYOutput: !tty,
        notTTYSchedule: PLAIN_LINE_EVERY_MS,
      },
      Presets.shades_classic,
    );
  }

  onTotal(bytes: number): void {
    // Reading starts now, once the database or the server is ready: the rate is of the import alone.
    this.started = performance.now();
    this.total = bytes;
    this.running = true;
    this.bar.start(Math.max(bytes, 1), 0, this.payload());
  }

  onBytes(bytes: number): void {
    this.read += bytes;
    if (this.running) this.bar.update(Math.min(this.read, this.total), this.payload());
  }

  /** Passes records through, counting them as the importer (or the upload) takes them. */
  async *count(records: AsyncIterable<KbRecord>): AsyncGenerator<KbRecord> {
    for await (const record of records) {
      this.records++;
      if (this.running) this.bar.update(Math.min(this.read, this.total), this.payload());
      yield record;
    }
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.bar.update(Math.min(this.read, this.total), this.payload());
    this.bar.stop();
  }

  private payload() {
    const seconds = (performance.now() - this.started) / 1000;
    // The bar's own ETA averages its last few updates, which record counts (not bytes) mostly drive:
    // it reads as infinite. Bytes read against elapsed time is the steady measure.
    const done = this.total > 0 ? Math.min(this.read / this.total, 1) : 0;
    return {
      records: this.records.toLocaleString('en-US'),
      rate: seconds > 0 ? Math.round(this.records / seconds).toLocaleString('en-US') : '0',
      size: formatBytes(this.total),
      left: done > 0 ? formatSeconds((seconds * (1 - done)) / done) : '…',
    };
  }
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
