import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionKey } from "../config/keys.js";

const VERSION = "v1";

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecryptionError";
  }
}

/**
 * AES-256-GCM envelopes `v1.<kid>.<nonce>.<ciphertext+tag>` (base64url). Every encryption uses a
 * fresh 96-bit nonce; the key id travels with the ciphertext so old rows decrypt after rotation;
 * the associated data binds a ciphertext to its row, so a copy pasted into another row fails.
 */
export function createCredentialCipher(keys: EncryptionKey[]) {
  if (keys.length === 0) throw new Error("at least one encryption key is required");
  const byId = new Map(keys.map((k) => [k.kid, k.key]));
  const active = keys[0]!;

  function encrypt(plaintext: unknown, associatedData: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", active.key, nonce);
    cipher.setAAD(Buffer.from(associatedData, "utf8"));
    const body = Buffer.concat([
      cipher.update(JSON.stringify(plaintext), "utf8"),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return [VERSION, active.kid, nonce.toString("base64url"), body.toString("base64url")].join(".");
  }

  function decrypt<T = unknown>(envelope: string, associatedData: string): T {
    const [version, kid, nonceB64, bodyB64] = envelope.split(".");
    if (version !== VERSION || !kid || !nonceB64 || !bodyB64)
      throw new DecryptionError("malformed credential envelope");
    const key = byId.get(kid);
    if (!key) throw new DecryptionError(`no key with id "${kid}" is configured`);
    const body = Buffer.from(bodyB64, "base64url");
    if (body.length < 16) throw new DecryptionError("malformed credential envelope");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonceB64, "base64url"));
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - 16));
      const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as T;
    } catch {
      throw new DecryptionError("credentials could not be decrypted (wrong key or tampered data)");
    }
  }

  return {
    encrypt,
    decrypt,
    activeKeyId: active.kid,
    keyIdOf: (envelope: string) => envelope.split(".")[1],
  };
}

export type CredentialCipher = ReturnType<typeof createCredentialCipher>;
