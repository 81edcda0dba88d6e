import { type Database, mcpServers } from "@mcpdeck/db";
import { and, eq } from "drizzle-orm";
import type { CredentialCipher } from "../crypto/credentials.js";
import { oauthStateAad } from "./oauth.js";
import { credentialsAad } from "./service.js";

/**
 * Re-encrypts every stored credential and OAuth state under the active key. Rows already under
 * it are skipped, so the command can be re-run safely after an interruption.
 */
export async function rotateCredentials(
  db: Database,
  cipher: CredentialCipher,
): Promise<{ rows: number; reencrypted: number }> {
  const rows = await db
    .select({
      id: mcpServers.id,
      userId: mcpServers.userId,
      credentials: mcpServers.credentials,
      oauthState: mcpServers.oauthState,
    })
    .from(mcpServers);
  let reencrypted = 0;
  for (const row of rows) {
    const change: { credentials?: string; oauthState?: string } = {};
    if (row.credentials && cipher.keyIdOf(row.credentials) !== cipher.activeKeyId) {
      const aad = credentialsAad(row.id, row.userId);
      change.credentials = cipher.encrypt(cipher.decrypt(row.credentials, aad), aad);
    }
    if (row.oauthState && cipher.keyIdOf(row.oauthState) !== cipher.activeKeyId) {
      const aad = oauthStateAad(row.id, row.userId);
      change.oauthState = cipher.encrypt(cipher.decrypt(row.oauthState, aad), aad);
    }
    if (Object.keys(change).length > 0) {
      await db
        .update(mcpServers)
        .set(change)
        .where(and(eq(mcpServers.id, row.id), eq(mcpServers.userId, row.userId)));
      reencrypted++;
    }
  }
  return { rows: rows.length, reencrypted };
}
