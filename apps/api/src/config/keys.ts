import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Env } from "./env.js";

export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

export interface Keys {
  jwtPrivateKey: KeyObject;
  jwtPublicKey: KeyObject;
  /** First key encrypts; every key decrypts (rotation). */
  encryptionKeys: EncryptionKey[];
  hmacSecret: Buffer;
}

interface StoredKeys {
  jwt_private_key: string;
  encryption_keys: string;
  hmac_secret: string;
}

/**
 * Production: all three keys come from the environment and the process refuses to start without
 * them. Development: generated once and kept in `<data dir>/keys.json` (mode 0600).
 */
export function loadKeys(env: Env): Keys {
  const fromEnv = {
    jwt_private_key: env.MCPDECK_JWT_PRIVATE_KEY,
    encryption_keys: env.MCPDECK_ENCRYPTION_KEYS,
    hmac_secret: env.MCPDECK_HMAC_SECRET,
  };
  if (env.NODE_ENV === "production") {
    for (const [name, value] of [
      ["MCPDECK_JWT_PRIVATE_KEY", fromEnv.jwt_private_key],
      ["MCPDECK_ENCRYPTION_KEYS", fromEnv.encryption_keys],
      ["MCPDECK_HMAC_SECRET", fromEnv.hmac_secret],
    ] as const) {
      if (!value)
        throw new ConfigError(`Invalid configuration: ${name} is required when NODE_ENV=production`);
    }
    return parseKeys(fromEnv as StoredKeys);
  }
  const stored = developmentKeys(env.MCPDECK_DATA_DIR);
  return parseKeys({
    jwt_private_key: fromEnv.jwt_private_key ?? stored.jwt_private_key,
    encryption_keys: fromEnv.encryption_keys ?? stored.encryption_keys,
    hmac_secret: fromEnv.hmac_secret ?? stored.hmac_secret,
  });
}

function developmentKeys(dataDir: string): StoredKeys {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "keys.json");
  if (!existsSync(file)) {
    // Written beside, then linked into place: two processes starting at once on one data dir both
    // end up with the same complete file (link fails if it exists; the loser reads the winner's).
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(tmp, JSON.stringify(generateKeyMaterial(), null, 2), { mode: 0o600, flag: "wx" });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      unlinkSync(tmp);
    }
  }
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Partial<StoredKeys>;
    if (
      typeof stored.jwt_private_key === "string" &&
      typeof stored.encryption_keys === "string" &&
      typeof stored.hmac_secret === "string"
    ) {
      return stored as StoredKeys;
    }
  } catch {}
  throw new ConfigError(
    `Invalid configuration: ${file} is not a valid keys file: restore it from a backup (new keys would sign everyone out and make stored credentials unreadable)`,
  );
}

/** Fresh key material in the environment-variable formats (also used by `mcpdeck-keys`). */
export function generateKeyMaterial(kid = `k${Date.now().toString(36)}`): StoredKeys {
  const { privateKey } = generateKeyPairSync("ed25519");
  return {
    jwt_private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    encryption_keys: `${kid}:${randomBytes(32).toString("base64")}`,
    hmac_secret: randomBytes(32).toString("base64"),
  };
}

export function parseEncryptionKeys(value: string, name = "MCPDECK_ENCRYPTION_KEYS"): EncryptionKey[] {
  const keys = value.split(",").map((entry) => {
    const [kid, b64] = entry.trim().split(":");
    const key = b64 ? Buffer.from(b64, "base64") : Buffer.alloc(0);
    if (!kid || !/^[A-Za-z0-9_-]{1,32}$/.test(kid) || key.length !== 32) {
      throw new ConfigError(
        `Invalid configuration: ${name} must be a comma-separated list of kid:base64 entries, each key 32 bytes`,
      );
    }
    return { kid, key };
  });
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) {
    throw new ConfigError(`Invalid configuration: ${name} has a duplicate key id`);
  }
  return keys;
}

function parseKeys(stored: StoredKeys): Keys {
  let jwtPrivateKey: KeyObject;
  try {
    jwtPrivateKey = createPrivateKey(stored.jwt_private_key.replace(/\\n/g, "\n"));
  } catch {
    throw new ConfigError(
      "Invalid configuration: MCPDECK_JWT_PRIVATE_KEY must be a PKCS#8 PEM Ed25519 private key",
    );
  }
  if (jwtPrivateKey.asymmetricKeyType !== "ed25519") {
    throw new ConfigError("Invalid configuration: MCPDECK_JWT_PRIVATE_KEY must be an Ed25519 key (EdDSA)");
  }
  const hmacSecret = Buffer.from(stored.hmac_secret, "base64");
  if (hmacSecret.length < 32) {
    throw new ConfigError(
      "Invalid configuration: MCPDECK_HMAC_SECRET must be at least 32 bytes, base64-encoded",
    );
  }
  return {
    jwtPrivateKey,
    jwtPublicKey: createPublicKey(jwtPrivateKey),
    encryptionKeys: parseEncryptionKeys(stored.encryption_keys),
    hmacSecret,
  };
}
