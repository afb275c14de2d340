import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { articleRecord, jsonLines, type KbRecord, type ReadOptions } from './record';

/**
 * Contract v1 JSONL: one `{id, title, body, url?, locale?}` per line. Lines are read one at a time,
 * and a line that is not JSON or not an article is reported with its number; the next line is read
 * as usual.
 */
export async function* readJsonl(input: Readable): AsyncGenerator<KbRecord> {
  for await (const entry of jsonLines(input)) {
    const line = entry.n;
    if ('error' in entry) yield { position: `line ${line}`, line, error: entry.error };
    else yield articleRecord(`line ${line}`, entry.value, { line });
  }
}

export async function* readJsonlFile(path: string, options: ReadOptions = {}): AsyncGenerator<KbRecord> {
  options.onTotal?.((await stat(path)).size);
  // Bytes, not text: jsonLines decodes UTF-8 across chunk boundaries itself, and progress counts bytes.
  const input = createReadStream(path);
  if (options.onBytes) input.on('data', (chunk) => options.onBytes!(chunk.length));
  try {
    yield* readJsonl(input);
  } finally {
    input.destroy();
  }
}
