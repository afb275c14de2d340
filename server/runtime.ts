import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite allows one process per data directory. Whoever opens it (the server, or a CLI command when
 * no server runs) holds `loopdesk.lock`; a running server also writes its URL and a one-off system
 * credential there (mode 0600) so that CLI commands can go through its admin API instead.
 */
export interface LockInfo {
  pid: number;
  /** Set by a server: where its API listens. */
  url?: string;
  /** Set by a server: bearer credential for the local CLI. */
  systemToken?: string;
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'loopdesk.lock');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the data directory, if any; a lock left by a dead process is removed. */
export function readLock(dataDir: string): LockInfo | null {
  let info: LockInfo;
  try {
    info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A lock being written right now reads as partial JSON: treat it as held.
    return { pid: -1 };
  }
  if (info.pid !== process.pid && !isAlive(info.pid)) {
    rmSync(lockPath(dataDir), { force: true });
    return null;
  }
  return info;
}

export class DataDirBusyError extends Error {}

/** Takes the lock or throws a DataDirBusyError saying who holds it. */
export function acquireLock(dataDir: string, info: Omit<LockInfo, 'pid'> = {}): () => void {
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath(dataDir), JSON.stringify({ pid: process.pid, ...info }), { flag: 'wx', mode: 0o600 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(lockPath(dataDir), { force: true });
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(dataDir);
      if (holder) {
        const who = holder.url ? `a Loopdesk server at ${holder.url}` : `another loopdesk command`;
        throw new DataDirBusyError(`the database in ${dataDir} is in use by ${who} (pid ${holder.pid})`);
      }
    }
  }
  throw new DataDirBusyError(`could not lock ${dataDir}`);
}

/** Rewrites the lock we hold with the server's URL and credential once it listens. */
export function updateLock(dataDir: string, info: Omit<LockInfo, 'pid'>): void {
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid: process.pid, ...info }), { mode: 0o600 });
}

export function newSystemToken(): string {
  return `ldsys_${randomBytes(24).toString('base64url')}`;
}
