import { Bold, ClassicEditor, Essentials, Italic, Link, List, Paragraph } from 'ckeditor5';

export const COMPOSER_TEST_ID = 'omnicomposer-rich-text-ckeditor';

/** Zendesk's "submit as" keyboard shortcuts (Ctrl+Alt+O / P / S), by status. */
const SUBMIT_AS_KEYS = { O: 'open', P: 'pending', S: 'solved' } as const;
export type SubmitAsStatus = (typeof SUBMIT_AS_KEYS)[keyof typeof SUBMIT_AS_KEYS];

/**
 * A CKEditor 5 ClassicEditor like Zendesk's reply composer. `host` is replaced by the editor UI.
 * `onSubmitKey` runs on Ctrl+Enter (Cmd+Enter on macOS: CKEditor maps Ctrl to Cmd there), and with a
 * status on Zendesk's Ctrl+Alt+O/P/S "submit as" shortcuts; keystrokes are consumed so the editor
 * does not also act on them.
 */
export async function createComposer(host: HTMLElement, onSubmitKey: (status?: SubmitAsStatus) => void): Promise<ClassicEditor> {
  const editor = await ClassicEditor.create({
    attachTo: host,
    licenseKey: 'GPL',
    plugins: [Essentials, Paragraph, Bold, Italic, Link, List],
    toolbar: {
      items: ['bold', 'italic', 'link', '|', 'bulletedList', 'numberedList', '|', 'undo', 'redo'],
      shouldNotGroupWhenFull: false,
    },
    link: { defaultProtocol: 'https://' },
    root: { placeholder: 'Public reply' },
  });
  // A plain DOM attribute on the editable would be dropped when CKEditor re-renders it.
  const view = editor.editing.view;
  view.change((writer) => {
    const root = view.document.getRoot();
    if (root) writer.setAttribute('data-test-id', COMPOSER_TEST_ID, root);
  });
  editor.keystrokes.set('Ctrl+Enter', (_data, cancel) => {
    onSubmitKey();
    cancel();
  });
  for (const [key, status] of Object.entries(SUBMIT_AS_KEYS)) {
    editor.keystrokes.set(`Ctrl+Alt+${key}`, (_data, cancel) => {
      onSubmitKey(status);
      cancel();
    });
  }
  return editor;
}
