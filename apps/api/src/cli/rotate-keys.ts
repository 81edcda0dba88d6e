/**
 * `pnpm --filter @mcpdeck/api rotate-keys`: re-encrypts every MCP server credential under the
 * first key of MCPDECK_ENCRYPTION_KEYS (keep the old keys listed after it until this has run).
 * In development, `--generate` first prepends a fresh key to `<data dir>/keys.json`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDb } from "@mcpdeck/db";
import { loadConfig } from "../config/config.js";
import { generateKeyMaterial } from "../config/keys.js";
import { createCredentialCipher } from "../crypto/credentials.js";
import { rotateCredentials } from "../servers/rotation.js";

async function main() {
  if (process.argv.includes("--generate")) {
    const first = loadConfig();
    if (first.production)
      throw new Error("--generate is for development; in production set MCPDECK_ENCRYPTION_KEYS");
    const file = join(first.dataDir, "keys.json");
    const stored = JSON.parse(readFileSync(file, "utf8")) as { encryption_keys: string };
    stored.encryption_keys = `${generateKeyMaterial().encryption_keys},${stored.encryption_keys}`;
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const config = loadConfig();
  const handle = await createDb(
    config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: `${config.dataDir}/pgdata` },
  );
  try {
    const cipher = createCredentialCipher(config.keys.encryptionKeys);
    const result = await rotateCredentials(handle.db, cipher);
    process.stdout.write(
      `re-encrypted ${result.reencrypted} of ${result.rows} servers under key "${cipher.activeKeyId}"\n`,
    );
  } finally {
    await handle.close();
  }
}

main().catch((error) => {
  process.stderr.write(`rotate-keys: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
