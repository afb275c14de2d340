import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { articleRecord, type KbRecord, type ReadOptions } from './record';

/**
 * Contract v1 JSONL: one `{id, title, body, url?, locale?}` per line. Lines are read one at a time,
 * and a line that is not JSON or not an article is reported with its number; the next line is read
 * as usual.
 */
export async function* readJsonl(input: Readable): AsyncGenerator<KbRecord> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    if (!raw.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      yield { position: `line ${line}`, line, error: `not JSON: ${(err as Error).message}` };
      continue;
    }
    yield articleRecord(`line ${line}`, value, { line });
  }
}

export async function* readJsonlFile(path: string, options: ReadOptions = {}): AsyncGenerator<KbRecord> {
  options.onTotal?.((await stat(path)).size);
  // Bytes, not text: readline decodes UTF-8 across chunk boundaries itself, and progress counts bytes.
  const input = createReadStream(path);
  if (options.onBytes) input.on('data', (chunk) => options.onBytes!(chunk.length));
  try {
    yield* readJsonl(input);
  } finally {
    input.destroy();
  }
}
