import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Group and other permission bits: none may be set on anything in the data dir. */
const SHARED_BITS = 0o077;

export interface SecuredDataDir {
  /** Paths whose group/other bits were removed (directories end up 0700, files 0600). */
  tightened: string[];
  /** Paths that could not be narrowed (owned by someone else). */
  failed: string[];
  /** The data dir itself let other users in, so what it holds may have been read. */
  wasOpen: boolean;
}

/**
 * The data dir holds the embedded database and the development keys: only its owner may read it.
 * Creates it 0700, and narrows what an older version (or PGlite, which writes its files 0666) left
 * readable. Symbolic links are not followed: what they point to is outside the data dir's care.
 */
export function secureDataDir(dir: string): SecuredDataDir {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const result: SecuredDataDir = { tightened: [], failed: [], wasOpen: false };
  result.wasOpen = (lstatSync(dir).mode & SHARED_BITS) !== 0;
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    if (stat.mode & SHARED_BITS) {
      try {
        chmodSync(path, stat.mode & 0o700);
        result.tightened.push(path);
      } catch {
        result.failed.push(path);
      }
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) pending.push(join(path, name));
  }
  return result;
}
