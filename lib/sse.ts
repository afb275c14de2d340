/** One Server-Sent Events message: its `event` name (`message` when unnamed) and joined `data` lines. */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from a response body as they arrive (WHATWG event-stream rules: lines end
 * in CRLF, LF or CR; `:` starts a comment; a blank line ends a message). Runs in the extension's
 * service worker, where no EventSource can POST, and in tests.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  const takeLine = (line: string): SseMessage | null => {
    if (line === '') {
      const message = data.length ? { event: event || 'message', data: data.join('\n') } : null;
      event = '';
      data = [];
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    return null;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A CR at the very end may be the first half of a CRLF: keep it until more arrives.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop() ?? '';
      if (done && buffer.endsWith('\r')) {
        lines.push(buffer.slice(0, -1));
        buffer = '';
      }
      for (const line of lines) {
        const message = takeLine(line);
        if (message) yield message;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
