import type { ExperimentArmInput } from '../lib/contract/experiments';

/** The generator's prompt versions (server/generation/prompt.ts); the server checks the choice. */
export const PROMPT_VERSIONS = ['concise-v1', 'warm-v1', 'examples-v1'] as const;

export interface ArmDraft {
  name: string;
  model: string;
  promptVersion: string;
  temperature: string;
  reranker: string;
  k: string;
}

export const newArm = (name: string, promptVersion: string = PROMPT_VERSIONS[0]): ArmDraft => ({
  name,
  model: 'extractive-v1',
  promptVersion,
  temperature: promptVersion === 'warm-v1' ? '0.7' : '0.2',
  reranker: 'promoted',
  k: '8',
});

/** The draft as the contract's arm; numbers the contract then checks (range, integer). */
export function armInput(arm: ArmDraft): ExperimentArmInput {
  return {
    name: arm.name.trim(),
    generation: { model: arm.model.trim(), promptVersion: arm.promptVersion, temperature: Number(arm.temperature) },
    reranker: arm.reranker.trim() || 'promoted',
    retrieval: { k: Number(arm.k) },
  };
}

interface ArmsEditorProps {
  arms: ArmDraft[];
  onChange(arms: ArmDraft[]): void;
  /** Model versions to offer as rerankers, besides `promoted` and `none`. */
  rerankers: string[];
}

/** One row of inputs per arm; arms are added and removed here, at most 8. */
export function ArmsEditor({ arms, onChange, rerankers }: ArmsEditorProps) {
  const set = (i: number, field: keyof ArmDraft, value: string) => onChange(arms.map((a, j) => (j === i ? { ...a, [field]: value } : a)));
  return (
    <fieldset className="arms-editor">
      <legend>Arms</legend>
      <datalist id="rerankers">
        {['promoted', 'none', ...rerankers].map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Model</th>
            <th scope="col">Prompt</th>
            <th scope="col">Temperature</th>
            <th scope="col">Reranker</th>
            <th scope="col">k</th>
            <th scope="col">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {arms.map((arm, i) => (
            <tr key={i} data-testid={`arm-editor-${i}`}>
              <td>
                <input aria-label={`Arm ${i + 1} name`} value={arm.name} onChange={(e) => set(i, 'name', e.target.value)} required />
              </td>
              <td>
                <input aria-label={`Arm ${i + 1} model`} value={arm.model} onChange={(e) => set(i, 'model', e.target.value)} required />
              </td>
              <td>
                <select aria-label={`Arm ${i + 1} prompt version`} value={arm.promptVersion} onChange={(e) => set(i, 'promptVersion', e.target.value)}>
                  {PROMPT_VERSIONS.map((v) => (
                    <option key={v}>{v}</option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  aria-label={`Arm ${i + 1} temperature`}
                  type="number"
                  min={0}
                  max={2}
                  step={0.1}
                  value={arm.temperature}
                  onChange={(e) => set(i, 'temperature', e.target.value)}
                />
              </td>
              <td>
                <input aria-label={`Arm ${i + 1} reranker`} list="rerankers" value={arm.reranker} onChange={(e) => set(i, 'reranker', e.target.value)} />
              </td>
              <td>
                <input aria-label={`Arm ${i + 1} k`} type="number" min={1} max={20} step={1} value={arm.k} onChange={(e) => set(i, 'k', e.target.value)} />
              </td>
              <td>
                <button type="button" className="quiet" aria-label={`Remove arm ${i + 1}`} disabled={arms.length <= 1} onClick={() => onChange(arms.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="quiet" disabled={arms.length >= 8} onClick={() => onChange([...arms, newArm(String.fromCharCode(97 + arms.length))])}>
        Add arm
      </button>
    </fieldset>
  );
}
