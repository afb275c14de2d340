import { describe, expect, it } from 'vitest';
import { readSse } from '../../lib/sse';

function bodyOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(encoder.encode(p));
      controller.close();
    },
  });
}

async function collect(pieces: string[]) {
  const out = [];
  for await (const m of readSse(bodyOf(pieces))) out.push(m);
  return out;
}

describe('Server-Sent Events reader', () => {
  const stream = 'event: meta\ndata: {"a":1}\n\n: keep-alive\n\nevent: delta\r\ndata: line one\r\ndata: line two\r\n\r\ndata: x\r\rdata:no space\n\n';
  const expected = [
    { event: 'meta', data: '{"a":1}' },
    { event: 'delta', data: 'line one\nline two' },
    { event: 'message', data: 'x' },
    { event: 'message', data: 'no space' },
  ];

  it('reads named events, multi-line data, comments and every line ending', async () => {
    expect(await collect([stream])).toEqual(expected);
  });

  it('gives the same messages however the bytes are split, CRLF and multi-byte characters included', async () => {
    for (const size of [1, 2, 3, 7]) {
      const pieces: string[] = [];
      for (let i = 0; i < stream.length; i += size) pieces.push(stream.slice(i, i + size));
      expect(await collect(pieces)).toEqual(expected);
    }
    const encoded = new TextEncoder().encode('data: héllo — ✓\n\n');
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of encoded) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const out = [];
    for await (const m of readSse(split)) out.push(m);
    expect(out).toEqual([{ event: 'message', data: 'héllo — ✓' }]);
  });

  it('drops a message the stream ended in the middle of', async () => {
    expect(await collect(['data: complete\n\ndata: cut'])).toEqual([{ event: 'message', data: 'complete' }]);
  });
});
