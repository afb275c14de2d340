import * as z from 'zod/mini';

/**
 * Page-world bridge protocol: the content script dispatches a request event on the composer element;
 * the main-world script answers synchronously with a response event on the same element. Payloads
 * are JSON strings because objects do not cross between the isolated and main worlds. Written with
 * zod's mini build: both ends are content scripts, so the schemas must be cheap to load on every
 * helpdesk page.
 */
export const BRIDGE_REQUEST_EVENT = 'loopdesk:bridge-request';
export const BRIDGE_RESPONSE_EVENT = 'loopdesk:bridge-response';

export const BridgeRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('getData') }),
  z.object({ op: z.literal('insertText'), text: z.string().check(z.maxLength(50_000)) }),
  z.object({ op: z.literal('setData'), text: z.string().check(z.maxLength(50_000)) }),
]);
export type BridgeRequest = z.infer<typeof BridgeRequest>;

export const BridgeResponse = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.string() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type BridgeResponse = z.infer<typeof BridgeResponse>;
