import { readFileSync, writeFileSync } from 'node:fs';

export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Writes a file only its owner can read (tokens, credentials). */
export function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
}
