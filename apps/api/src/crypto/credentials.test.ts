import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCredentialCipher, DecryptionError } from "./credentials.js";

const key = (kid: string) => ({ kid, key: randomBytes(32) });

describe("credential cipher", () => {
  it("round-trips and never repeats a nonce or ciphertext", () => {
    const cipher = createCredentialCipher([key("a")]);
    const secret = { api_key: "sk-live-123" };
    const one = cipher.encrypt(secret, "mcp_servers:1:credentials");
    const two = cipher.encrypt(secret, "mcp_servers:1:credentials");
    expect(one).not.toBe(two);
    expect(one.split(".")[2]).not.toBe(two.split(".")[2]);
    expect(one).not.toContain("sk-live-123");
    expect(cipher.decrypt(one, "mcp_servers:1:credentials")).toEqual(secret);
    expect(Buffer.from(one.split(".")[2]!, "base64url")).toHaveLength(12);
  });

  it("refuses a ciphertext moved to another row (associated data)", () => {
    const cipher = createCredentialCipher([key("a")]);
    const blob = cipher.encrypt({ api_key: "x" }, "mcp_servers:row-1:credentials");
    expect(() => cipher.decrypt(blob, "mcp_servers:row-2:credentials")).toThrow(DecryptionError);
  });

  it("refuses tampered data", () => {
    const cipher = createCredentialCipher([key("a")]);
    const blob = cipher.encrypt({ api_key: "x" }, "aad");
    const parts = blob.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString("base64url");
    expect(() => cipher.decrypt(parts.join("."), "aad")).toThrow(DecryptionError);
  });

  it("decrypts with an older key after rotation and encrypts with the new one", () => {
    const oldKey = key("old");
    const before = createCredentialCipher([oldKey]).encrypt({ v: 1 }, "aad");
    const rotated = createCredentialCipher([key("new"), oldKey]);
    expect(rotated.decrypt(before, "aad")).toEqual({ v: 1 });
    expect(rotated.keyIdOf(rotated.encrypt({ v: 1 }, "aad"))).toBe("new");
    expect(() => createCredentialCipher([key("other")]).decrypt(before, "aad")).toThrow(
      /no key with id "old"/,
    );
  });
});
