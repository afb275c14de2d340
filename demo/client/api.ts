import type { DemoApiTicket, DemoSubmitStatus, DemoTicketSummary } from '../tickets';

/** The mount prefix of the demo (`/demo`), derived from where this bundle was loaded (`/demo/assets/app.js`). */
export const BASE = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

export const ticketPath = (id: number): string => `${BASE}/agent/tickets/${id}`;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${BASE}/api${path}`, {
    credentials: 'same-origin',
    headers: { Accept: 'application/json', ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
    ...init,
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: unknown };
      if (typeof body.error === 'string') message = body.error;
    } catch {
      // keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return (await response.json()) as T;
}

export const listTickets = (): Promise<DemoTicketSummary[]> => call('/tickets');

export const getTicket = (id: number): Promise<DemoApiTicket> => call(`/tickets/${id}`);

export const postComment = (id: number, body: string, status: DemoSubmitStatus): Promise<DemoApiTicket> =>
  call(`/tickets/${id}/comments`, { method: 'POST', body: JSON.stringify({ body, status }) });
