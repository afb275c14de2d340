/**
 * A plain contenteditable reply editor, the kind Freshdesk (Froala) and Help Scout use: paragraphs
 * are `<p>` elements, the draft is the editable's own HTML, and Ctrl/Cmd+Enter sends. It is built
 * and read without ever assigning HTML: content only arrives through the browser's editing.
 */
import { h, type Attrs } from './dom';
import { editorHtmlToText } from './plain-text';

export interface EditableComposerOptions {
  /** Attributes of the editable element itself (class names and hooks of the real editor). */
  attrs: Attrs;
  placeholder: string;
  /** Ctrl+Enter / Cmd+Enter; the keystroke is consumed so no line break is inserted too. */
  onSubmitKey(): void;
  /** Any change of the draft. */
  onInput?(): void;
  /**
   * Handle pastes as Froala does: the editor takes the clipboard itself (here its plain text) and
   * inserts it, instead of letting the browser paste. Off: the browser pastes.
   */
  handlePaste?: boolean;
  signal: AbortSignal;
}

export class EditableComposer {
  readonly element: HTMLDivElement;

  constructor(private readonly opts: EditableComposerOptions) {
    // Enter makes a <p>, as in Froala, instead of the browser's default <div>.
    document.execCommand('defaultParagraphSeparator', false, 'p');
    this.element = h('div', {
      ...opts.attrs,
      contenteditable: 'true',
      role: 'textbox',
      'aria-multiline': 'true',
      'aria-label': opts.attrs['aria-label'] ?? opts.placeholder,
      'data-placeholder': opts.placeholder,
      spellcheck: 'true',
    });
    this.clear();
    const { signal } = opts;
    this.element.addEventListener('input', () => this.afterInput(), { signal });
    // Bubble phase on the editable, as an editor's own handler is: capture listeners above it run first.
    this.element.addEventListener(
      'keydown',
      (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.isComposing) {
          event.preventDefault();
          opts.onSubmitKey();
        }
      },
      { signal },
    );
    if (opts.handlePaste) this.element.addEventListener('paste', (event) => this.onPaste(event), { signal });
  }

  /** The draft as the editor stores it. */
  html(): string {
    return this.element.innerHTML;
  }

  text(): string {
    return editorHtmlToText(this.html());
  }

  clear(): void {
    this.element.replaceChildren(h('p', {}, h('br')));
    this.refreshEmpty();
  }

  focus(): void {
    this.element.focus();
  }

  private afterInput(): void {
    // Select-all and delete can leave no paragraph at all; editors put an empty one back.
    if (!this.element.firstElementChild && !this.element.textContent) this.clear();
    this.refreshEmpty();
    this.opts.onInput?.();
  }

  private refreshEmpty(): void {
    this.element.classList.toggle('is-empty', this.text() === '');
  }

  private onPaste(event: ClipboardEvent): void {
    const text = event.clipboardData?.getData('text/plain') ?? '';
    event.preventDefault();
    if (!text) return;
    // Typed through the editing commands, so the page's undo and input events see it; paragraphs
    // stay paragraphs and single line breaks stay line breaks.
    text
      .replace(/\r\n?/g, '\n')
      .split(/\n{2,}/)
      .forEach((paragraph, p) => {
        if (p > 0) document.execCommand('insertParagraph');
        paragraph.split('\n').forEach((line, l) => {
          if (l > 0) document.execCommand('insertLineBreak');
          if (line) document.execCommand('insertText', false, line);
        });
      });
  }
}
