import {
  BRIDGE_REQUEST_EVENT,
  BRIDGE_RESPONSE_EVENT,
  checkBridgeResponse,
  type BridgeRequest,
  type BridgeResponse,
} from '../contract/bridge';

/**
 * Asks the main-world bridge to act on the editor behind `element`. DOM event dispatch is
 * synchronous, so the answer is here when dispatchEvent returns — which matters at send time, when
 * the page is about to clear the composer.
 */
export function callBridge(element: Element, request: BridgeRequest): BridgeResponse {
  let response: BridgeResponse = { ok: false, error: 'the page bridge did not answer' };
  const onResponse = (event: Event) => {
    const checked = checkBridgeResponse(safeJson(String((event as CustomEvent).detail)));
    response = checked.ok ? checked.value : { ok: false, error: `malformed bridge response (${checked.error})` };
  };
  element.addEventListener(BRIDGE_RESPONSE_EVENT, onResponse);
  try {
    element.dispatchEvent(new CustomEvent(BRIDGE_REQUEST_EVENT, { detail: JSON.stringify(request), bubbles: true, composed: true }));
  } finally {
    element.removeEventListener(BRIDGE_RESPONSE_EVENT, onResponse);
  }
  return response;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
