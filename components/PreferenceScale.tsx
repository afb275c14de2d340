import type { PreferenceChoice } from '../lib/contract';
import { PREFERENCE_CHOICES } from '../lib/contract/vocabulary';

const SHORT: Record<PreferenceChoice, string> = {
  A_much_better: 'A≫',
  A_better: 'A>',
  A_slightly_better: 'A≥',
  tie: '=',
  B_slightly_better: '≤B',
  B_better: '<B',
  B_much_better: '≪B',
};

const LONG: Record<PreferenceChoice, string> = {
  A_much_better: 'A much better',
  A_better: 'A better',
  A_slightly_better: 'A slightly better',
  tie: 'Tie',
  B_slightly_better: 'B slightly better',
  B_better: 'B better',
  B_much_better: 'B much better',
};

interface Props {
  value: PreferenceChoice | 'both_unusable' | undefined;
  onChoose: (choice: PreferenceChoice | 'both_unusable') => void;
}

/** The 7-point pairwise preference between the two replies, plus "both unusable". */
export function PreferenceScale({ value, onChoose }: Props) {
  return (
    <div className="ld-preference" role="group" aria-label="Which reply is better?">
      <span className="ld-muted">Which is better?</span>
      <div className="ld-scale">
        {PREFERENCE_CHOICES.map((choice) => (
          <button
            key={choice}
            type="button"
            className="ld-chip"
            aria-pressed={value === choice}
            aria-label={LONG[choice]}
            title={LONG[choice]}
            onClick={() => onChoose(choice)}
          >
            {SHORT[choice]}
          </button>
        ))}
      </div>
      <button type="button" className="ld-chip" aria-pressed={value === 'both_unusable'} onClick={() => onChoose('both_unusable')}>
        Both unusable
      </button>
    </div>
  );
}
