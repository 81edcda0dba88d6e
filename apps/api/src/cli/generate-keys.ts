/**
 * `pnpm --filter @mcpdeck/api generate-keys` (in a release: `node dist/bin/generate-keys.js`): fresh
 * production keys as environment lines, single-quoted for a shell or a compose env file (the PEM's
 * line breaks written as \n, which the API reads back). `--encryption-key` prints only a new
 * `kid:key` entry, to put first in MCPDECK_ENCRYPTION_KEYS when rotating (README: Production).
 */
import { generateKeyMaterial } from "../config/keys.js";

const keys = generateKeyMaterial();
if (process.argv.includes("--encryption-key")) {
  process.stdout.write(`${keys.encryption_keys}\n`);
} else {
  const pem = keys.jwt_private_key.trim().replace(/\n/g, "\\n");
  process.stdout.write(
    `MCPDECK_JWT_PRIVATE_KEY='${pem}'\nMCPDECK_ENCRYPTION_KEYS='${keys.encryption_keys}'\nMCPDECK_HMAC_SECRET='${keys.hmac_secret}'\n`,
  );
}
