import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to the next requests for `/v1/events`; everything else passes through. */
export type Fault =
  | { kind: 'pass' }
  /** The connection is dropped at once, as when the server is down or unreachable. */
  | { kind: 'down' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** No answer at all: the client's timeout must fire. */
  | { kind: 'hang' }
  /** The server stores the batch, then the connection is reset before the answer reaches the client. */
  | { kind: 'reset-after-store' };

export interface FaultProxy {
  url: string;
  /** Applies `fault` to the next `times` event batches (Infinity: until changed), then passes. */
  inject(fault: Fault, times?: number): void;
  /** Batches seen, and how many of them were faulted. */
  stats(): { batches: number; faulted: number };
  close(): Promise<void>;
}

/**
 * A real HTTP proxy between the extension and the Loopdesk server for fault-injection tests. It
 * only ever talks to the given upstream on loopback.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let fault: Fault = { kind: 'pass' };
  let remaining = 0;
  let batches = 0;
  let faulted = 0;
  const hanging = new Set<ServerResponse>();

  function forward(req: IncomingMessage, body: Buffer, onResponse: (status: number, headers: IncomingMessage['headers'], data: Buffer) => void, onError: () => void) {
    const upstreamReq = httpRequest(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => onResponse(res.statusCode ?? 502, res.headers, Buffer.concat(chunks)));
      },
    );
    upstreamReq.on('error', onError);
    upstreamReq.end(body);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isBatch = req.method === 'POST' && req.url?.startsWith('/v1/events');
      if (isBatch) batches++;
      const active = isBatch && remaining > 0 ? fault : ({ kind: 'pass' } as Fault);
      if (isBatch && remaining > 0) {
        remaining--;
        if (active.kind !== 'pass') faulted++;
      }
      const pass = () =>
        forward(
          req,
          body,
          (status, headers, data) => {
            res.writeHead(status, headers);
            res.end(data);
          },
          () => res.destroy(),
        );
      switch (active.kind) {
        case 'pass':
          return pass();
        case 'down':
          return req.socket.destroy();
        case 'status':
          res.writeHead(active.status, {
            'content-type': 'application/json',
            ...(active.retryAfterSeconds !== undefined ? { 'retry-after': String(active.retryAfterSeconds) } : {}),
          });
          return res.end(JSON.stringify({ error: `injected ${active.status}` }));
        case 'hang':
          hanging.add(res);
          return;
        case 'reset-after-store':
          return forward(req, body, () => req.socket.destroy(), () => req.socket.destroy());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject(next, times = Infinity) {
      fault = next;
      remaining = times;
    },
    stats: () => ({ batches, faulted }),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
