import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { TokenStore, Tokens } from "@mcpdeck/sdk";
import { UsageError } from "./args.js";

/**
 * Sign-ins are kept in `$XDG_CONFIG_HOME/mcpdeck/credentials.json` (else `~/.config/mcpdeck/…`), one
 * per API, readable by the user alone: the directory 0700, the file 0600 (wider modes found there are
 * narrowed). Writes go to a temporary file renamed over the old one, so a reader never sees half a file.
 */
export interface Credentials {
  version: 1;
  /** The API the last `mcpdeck login` signed in to: used when neither --api nor MCPDECK_API_URL says. */
  default_api?: string;
  apis: Record<string, Tokens & { email?: string }>;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "mcpdeck");
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), "credentials.json");
}

function narrow(path: string, mode: number) {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch {}
}

export function readCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const file = credentialsFile(env);
  narrow(configDir(env), 0o700);
  narrow(file, 0o600);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { version: 1, apis: {} };
  }
  try {
    const parsed = JSON.parse(text) as Partial<Credentials>;
    return { version: 1, apis: {}, ...parsed } as Credentials;
  } catch {
    throw new Error(`${file} is not valid JSON: remove it and sign in again (mcpdeck login).`);
  }
}

export function writeCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): void {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  narrow(dir, 0o700);
  const file = credentialsFile(env);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  narrow(file, 0o600);
}

/** The SDK's token store for one API, over the credentials file (re-read on every load). */
export function fileTokenStore(api: string, env: NodeJS.ProcessEnv = process.env): TokenStore {
  return {
    load() {
      const entry = readCredentials(env).apis[api];
      return entry ? { access_token: entry.access_token, refresh_token: entry.refresh_token } : null;
    },
    save(tokens) {
      const credentials = readCredentials(env);
      if (tokens) credentials.apis[api] = { ...credentials.apis[api], ...tokens };
      else delete credentials.apis[api];
      writeCredentials(credentials, env);
    },
  };
}

export const DEFAULT_API = "http://localhost:3000";

/** Which API: --api, else MCPDECK_API_URL, else the last one signed in to, else localhost:3000. */
export function apiUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.MCPDECK_API_URL ?? readCredentials(env).default_api ?? DEFAULT_API;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new UsageError(`--api must be the API's URL, e.g. ${DEFAULT_API}; got "${chosen}".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--api must be an http(s) URL; got "${chosen}".`);
  }
  return url.toString().replace(/\/+$/, "");
}
