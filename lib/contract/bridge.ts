/**
 * Page-world bridge protocol: the content script dispatches a request event on the composer element;
 * the main-world script answers synchronously with a response event on the same element. Payloads
 * are JSON strings because objects do not cross between the isolated and main worlds.
 *
 * Written as plain types with hand-written checks rather than zod: the main-world script runs at
 * document start on every helpdesk page, before the helpdesk's own scripts, and even zod's mini
 * build cost it ~15 KB and tens of milliseconds to evaluate (bench/results/overlay.md). The
 * messages are three shapes of two fields; the checks below are the whole schema.
 */
export const BRIDGE_REQUEST_EVENT = 'loopdesk:bridge-request';
export const BRIDGE_RESPONSE_EVENT = 'loopdesk:bridge-response';

/** Longest reply text the bridge will put into an editor. */
export const BRIDGE_MAX_TEXT = 50_000;

export type BridgeRequest = { op: 'getData' } | { op: 'insertText'; text: string } | { op: 'setData'; text: string };
export type BridgeResponse = { ok: true; data: string } | { ok: false; error: string };

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks a request that came over the DOM (the page itself could dispatch one). */
export function checkBridgeRequest(value: unknown): Checked<BridgeRequest> {
  if (!isRecord(value)) return { ok: false, error: 'expected an object' };
  switch (value.op) {
    case 'getData':
      return { ok: true, value: { op: 'getData' } };
    case 'insertText':
    case 'setData':
      if (typeof value.text !== 'string') return { ok: false, error: 'text: expected a string' };
      if (value.text.length > BRIDGE_MAX_TEXT) return { ok: false, error: `text: longer than ${BRIDGE_MAX_TEXT} characters` };
      return { ok: true, value: { op: value.op, text: value.text } };
    default:
      return { ok: false, error: 'op: expected "getData", "insertText" or "setData"' };
  }
}

/** Checks the main world's answer before the content script trusts it. */
export function checkBridgeResponse(value: unknown): Checked<BridgeResponse> {
  if (!isRecord(value)) return { ok: false, error: 'expected an object' };
  if (value.ok === true && typeof value.data === 'string') return { ok: true, value: { ok: true, data: value.data } };
  if (value.ok === false && typeof value.error === 'string') return { ok: true, value: { ok: false, error: value.error } };
  return { ok: false, error: 'expected { ok: true, data } or { ok: false, error }' };
}
