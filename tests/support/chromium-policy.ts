import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's Chromium reads machine-wide managed policy. */
export const POLICY_DIR = '/etc/chromium/policies/managed';

/**
 * One machine-wide policy file for a test file: its path, and `remove`, which also runs whatever
 * happens to the run (exit, Ctrl-C, SIGTERM), so no browser started later picks the file up.
 */
export function chromiumPolicyFile(name: string) {
  const file = join(POLICY_DIR, name);
  const remove = () => rmSync(file, { force: true });
  process.once('exit', remove);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      remove();
      process.exit(130);
    });
  }
  return {
    file,
    remove,
  };
}

/** Whether this process may write Chromium's machine-wide policy directory (root, as in CI). */
export function canWritePolicies(): boolean {
  try {
    mkdirSync(POLICY_DIR, { recursive: true });
    accessSync(POLICY_DIR, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
