/** How long mcpdeck's tokens live (apart from tokens.ts, whose signing keys are Node's: clients' types read this). */
export const ACCESS_TTL_SEC = 15 * 60;
export const REFRESH_TTL_SEC = 7 * 24 * 60 * 60;
