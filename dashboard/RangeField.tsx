import { useEffect, useId, useRef, useState } from 'react';

interface RangeFieldProps {
  label: string;
  /** A share, 0–1; the slider shows it in whole percent. */
  value: number;
  /** Saves the value; false when the server refused it, and the slider goes back to what it holds. */
  onCommit(value: number): Promise<boolean>;
  disabled?: boolean;
}

/**
 * A labelled percentage slider that follows the pointer as it moves but commits once, on the
 * native `change` event (pointer released, key pressed, or Playwright's `fill`): dragging from 10% to
 * 60% is one change in the audit log, not fifty. React's `onChange` is the `input` event, so the
 * commit listens to `change` itself.
 */
export function RangeField({ label, value, onCommit, disabled }: RangeFieldProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState(Math.round(value * 100));
  const commit = useRef(onCommit);
  commit.current = onCommit;
  const held = useRef(value);
  held.current = value;

  useEffect(() => {
    setDraft(Math.round(value * 100));
  }, [value]);
  useEffect(() => {
    const element = input.current!;
    const onChange = () => {
      const percent = Number(element.value);
      if (!Number.isFinite(percent) || percent / 100 === held.current) return;
      void commit.current(percent / 100).then((ok) => ok || setDraft(Math.round(held.current * 100)));
    };
    element.addEventListener('change', onChange);
    return () => element.removeEventListener('change', onChange);
  }, []);

  return (
    <div className="field range">
      <label htmlFor={id}>{label}</label>
      <input
        ref={input}
        id={id}
        type="range"
        min={0}
        max={100}
        step={1}
        value={draft}
        disabled={disabled}
        aria-valuetext={`${draft}%`}
        onChange={(e) => setDraft(Number(e.target.value))}
      />
      <output htmlFor={id}>{draft}%</output>
    </div>
  );
}
