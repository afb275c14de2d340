import { useEffect, useRef, useState, type FormEvent } from 'react';

interface Props {
  reported: boolean;
  /** Opened from outside (the keyboard shortcut). */
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onReport: (description: string, proposedTitle?: string) => Promise<boolean>;
}

/** "The KB lacks this": what is missing and, optionally, the article the agent would want. */
export function MissingKnowledge({ reported, open, onOpenChange, onReport }: Props) {
  const [description, setDescription] = useState('');
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (open) first.current?.focus();
  }, [open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!description.trim()) return;
    setBusy(true);
    const saved = await onReport(description, title);
    setBusy(false);
    if (saved) {
      setDescription('');
      setTitle('');
      onOpenChange(false);
    }
  };

  if (!open) {
    return (
      <div className="ld-row">
        <button type="button" onClick={() => onOpenChange(true)} aria-keyshortcuts="Alt+Shift+K" title="Tell the knowledge team what is missing (Alt+Shift+K)">
          The KB lacks this…
        </button>
        {reported && (
          <span className="ld-muted" role="status">
            Missing knowledge reported — thank you.
          </span>
        )}
      </div>
    );
  }
  return (
    <form className="ld-missing" aria-label="Report missing knowledge" onSubmit={(e) => void submit(e)}>
      <label className="ld-field">
        What is missing?
        <textarea ref={first} value={description} required maxLength={2_000} rows={3} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label className="ld-field">
        Proposed article title <span className="ld-muted">(optional)</span>
        <input value={title} maxLength={300} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <div className="ld-row">
        <button type="submit" className="ld-primary" disabled={busy || !description.trim()}>
          Report
        </button>
        <button type="button" onClick={() => onOpenChange(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
