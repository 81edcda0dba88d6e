/** Name advertised in the MCP `initialize` handshake. */
export const SERVER_NAME = "mcpdeck-demo";
/** Version advertised in the MCP `initialize` handshake. */
export const SERVER_VERSION = "0.1.0";
/** OAuth scopes this demo server supports. */
export const OAUTH_SCOPES = ["mcp"] as const;
