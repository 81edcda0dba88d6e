import { createClient, type McpdeckClient } from "@mcpdeck/sdk";
import { apiUrl, fileTokenStore } from "./credentials.js";

/** What every command works with: the API chosen, and a client signed in with the stored tokens. */
export interface CliContext {
  api: string;
  client: McpdeckClient;
}

export function createContext(apiFlag: string | undefined): CliContext {
  const api = apiUrl(apiFlag);
  return { api, client: createClient({ baseUrl: api, tokenStore: fileTokenStore(api) }) };
}
