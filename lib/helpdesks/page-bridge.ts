/**
 * The page-world half of the composer bridge (entrypoints/ckeditor-bridge.content.ts runs it in the
 * page's MAIN world). Editors keep their state in page-world objects (`element.ckeditorInstance`)
 * or react only to events the page sees, so the isolated content script asks through DOM events
 * dispatched on the editable element itself, and this code answers synchronously on the same element
 * (lib/helpdesks/bridge-client.ts is the other half). It holds no selectors: the content script's
 * adapter decides which composer is meant; here each kind of editor knows how to talk to its own.
 */
import {
  BRIDGE_REQUEST_EVENT,
  BRIDGE_RESPONSE_EVENT,
  checkBridgeRequest,
  type BridgeRequest,
  type BridgeResponse,
} from '../contract/bridge';
import { plainTextToHtml } from './text';

/** One kind of editor: how to recognize it and how to read, replace and insert into its draft. */
interface EditorKind {
  name: string;
  accepts(element: Element): boolean;
  getData(element: Element): string;
  /** Replaces the whole draft with `text`; answers the draft as it is afterwards. */
  setData(element: Element, text: string): string;
  /** Inserts `text` at the cursor (at the end when the cursor is elsewhere). */
  insertText(element: Element, text: string): string;
}

/** The slice of the CKEditor 5 editor API the bridge uses. */
interface CkEditor {
  getData(): string;
  setData(html: string): void;
  model: { insertContent(content: unknown): void };
  data: { processor: { toView(html: string): unknown }; toModel(view: unknown): unknown };
  editing: { view: { focus(): void } };
}

const ckeditorOf = (element: Element) => (element as Element & { ckeditorInstance?: CkEditor }).ckeditorInstance;

/**
 * CKEditor 5 (Zendesk): its DOM is a rendering of its model and is rewritten from it, so only the
 * model API changes the draft for good.
 */
const ckeditor5: EditorKind = {
  name: 'CKEditor 5',
  accepts: (element) => ckeditorOf(element) !== undefined,
  getData: (element) => ckeditorOf(element)!.getData(),
  setData(element, text) {
    const editor = ckeditorOf(element)!;
    editor.setData(plainTextToHtml(text));
    editor.editing.view.focus();
    return editor.getData();
  },
  insertText(element, text) {
    const editor = ckeditorOf(element)!;
    // Through the data pipeline, so paragraphs and line breaks become real model elements and the
    // editor's undo stack and change events see an ordinary insertion at the cursor.
    editor.model.insertContent(editor.data.toModel(editor.data.processor.toView(plainTextToHtml(text))));
    editor.editing.view.focus();
    return editor.getData();
  },
};

/**
 * A contenteditable without an editor API the bridge knows (Froala in Freshdesk, Help Scout's
 * editor). Such editors keep their own model of the draft in sync with the DOM through the events
 * the browser fires, so the text goes in the way an agent's own input would: first as a paste,
 * which editors run through their clipboard pipeline (cleaning, their undo stack, their change
 * events); if nothing handled the paste, by typing it with the browser's editing commands, which
 * fire `input` events. Markup from outside never goes into the page: the pasted HTML is built from
 * escaped text, and the fallback types text only.
 */
const contentEditable: EditorKind = {
  name: 'contenteditable',
  accepts: (element) => (element as HTMLElement).isContentEditable === true,
  getData: (element) => element.innerHTML,
  setData(element, text) {
    focusWithin(element as HTMLElement, 'all');
    enterText(element as HTMLElement, text);
    return element.innerHTML;
  },
  insertText(element, text) {
    focusWithin(element as HTMLElement, 'keep');
    enterText(element as HTMLElement, text);
    return element.innerHTML;
  },
};

/** Order matters: a CKEditor editable is also contenteditable. */
const EDITOR_KINDS: readonly EditorKind[] = [ckeditor5, contentEditable];

/** Focuses the editable and puts the selection in it: over everything, or kept where the agent left it. */
function focusWithin(element: HTMLElement, selection: 'all' | 'keep') {
  element.focus({ preventScroll: true });
  const current = element.ownerDocument.getSelection();
  if (!current) return;
  if (selection === 'all') {
    current.selectAllChildren(element);
    return;
  }
  if (current.rangeCount > 0 && element.contains(current.getRangeAt(0).commonAncestorContainer)) return;
  const range = element.ownerDocument.createRange();
  range.selectNodeContents(element);
  range.collapse(false);
  current.removeAllRanges();
  current.addRange(range);
}

function enterText(element: HTMLElement, text: string) {
  const before = element.innerHTML;
  const data = new DataTransfer();
  data.setData('text/plain', text);
  data.setData('text/html', plainTextToHtml(text));
  const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true });
  element.dispatchEvent(paste);
  // A handled paste may be applied asynchronously (after cleaning); typing as well would insert twice.
  if (paste.defaultPrevented || element.innerHTML !== before) return;
  typeText(element.ownerDocument, text);
  if (element.innerHTML === before && text.trim() !== '') throw new Error('the editor took neither a paste nor typed text');
}

/**
 * Types the text with the browser's editing commands: blank-line-separated paragraphs as new
 * paragraphs and single line breaks as line breaks, the structure plainTextToHtml gives CKEditor.
 * (`insertText` alone would turn every line break into a paragraph.)
 */
function typeText(doc: Document, text: string) {
  const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  paragraphs.forEach((paragraph, p) => {
    if (p > 0) doc.execCommand('insertParagraph');
    paragraph.split('\n').forEach((line, l) => {
      if (l > 0) doc.execCommand('insertLineBreak');
      if (line) doc.execCommand('insertText', false, line);
    });
  });
}

/** Answers one request for the editor behind `element`. */
export function runBridgeRequest(element: Element, request: BridgeRequest): BridgeResponse {
  const kind = EDITOR_KINDS.find((k) => k.accepts(element));
  if (!kind) return { ok: false, error: 'this element is not an editor the bridge knows' };
  try {
    switch (request.op) {
      case 'getData':
        return { ok: true, data: kind.getData(element) };
      case 'setData':
        return { ok: true, data: kind.setData(element, request.text) };
      case 'insertText':
        return { ok: true, data: kind.insertText(element, request.text) };
    }
  } catch (err) {
    return { ok: false, error: `${kind.name}: ${(err as Error).message}` };
  }
}

/** Listens for bridge requests on the whole document (capture: before the page can stop them). */
export function installPageBridge(doc: Document = document): void {
  doc.addEventListener(
    BRIDGE_REQUEST_EVENT,
    (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      let response: BridgeResponse;
      try {
        const request = checkBridgeRequest(JSON.parse(String((event as CustomEvent).detail)));
        response = request.ok ? runBridgeRequest(target, request.value) : { ok: false, error: `bad bridge request: ${request.error}` };
      } catch (err) {
        response = { ok: false, error: `bad bridge request: ${(err as Error).message}` };
      }
      target.dispatchEvent(new CustomEvent(BRIDGE_RESPONSE_EVENT, { detail: JSON.stringify(response) }));
    },
    true,
  );
}
