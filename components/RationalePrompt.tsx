import { useState, type FormEvent } from 'react';
import type { AdoptionOutcome, AdoptionRationale, RationaleCode } from '../lib/contract';
import { RATIONALE_CODES } from '../lib/contract/vocabulary';

const CHIP_TEXT: Record<RationaleCode, string> = {
  inaccurate: 'Inaccurate',
  missing_information: 'Missing information',
  wrong_tone: 'Wrong tone',
  policy: 'Policy',
  not_needed: 'Not needed',
  other: 'Other',
};

interface Props {
  outcome: AdoptionOutcome;
  onAnswer: (rationale: AdoptionRationale) => void;
}

/**
 * "Why not?" after a reply that used no suggestion or rewrote one heavily: chips, free text for
 * "other", one click to skip. Never modal: the agent can ignore it and it closes by itself.
 */
export function RationalePrompt({ outcome, onAnswer }: Props) {
  const [codes, setCodes] = useState<RationaleCode[]>([]);
  const [text, setText] = useState('');
  const toggle = (code: RationaleCode) => setCodes((c) => (c.includes(code) ? c.filter((x) => x !== code) : [...c, code]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onAnswer({ codes, ...(text.trim() ? { text: text.trim() } : {}) });
  };
  const question = outcome === 'not_used' ? 'Why were the suggestions not used?' : 'Why was the suggestion rewritten?';
  return (
    <form className="ld-rationale" aria-label="Why not the suggestion" onSubmit={submit}>
      <p className="ld-rationale-q" id="ld-rationale-q">
        {question} <span className="ld-muted">(optional)</span>
      </p>
      <div className="ld-chips" role="group" aria-labelledby="ld-rationale-q">
        {RATIONALE_CODES.map((code) => (
          <button key={code} type="button" className="ld-chip" aria-pressed={codes.includes(code)} onClick={() => toggle(code)}>
            {CHIP_TEXT[code]}
          </button>
        ))}
      </div>
      {codes.includes('other') && (
        <label className="ld-field">
          What else?
          <input value={text} maxLength={2_000} onChange={(e) => setText(e.target.value)} />
        </label>
      )}
      <div className="ld-row">
        <button type="submit" className="ld-primary" disabled={codes.length === 0 && !text.trim()}>
          Send reason
        </button>
        <button type="button" onClick={() => onAnswer({ codes: [] })}>
          Skip
        </button>
      </div>
    </form>
  );
}
