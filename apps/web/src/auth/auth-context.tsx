import { createContext, type ReactNode, useContext, useSyncExternalStore } from "react";
import type { AuthState, TokenManager } from "./token-manager.js";

const AuthContext = createContext<TokenManager | undefined>(undefined);

export function AuthProvider({ tokens, children }: { tokens: TokenManager; children: ReactNode }) {
  return <AuthContext.Provider value={tokens}>{children}</AuthContext.Provider>;
}

/** The tab's token manager and its current state (re-renders on sign-in, refresh and sign-out). */
export function useAuth(): { tokens: TokenManager; state: AuthState } {
  const tokens = useContext(AuthContext);
  if (!tokens) throw new Error("useAuth outside AuthProvider");
  const state = useSyncExternalStore(tokens.subscribe, tokens.state);
  return { tokens, state };
}
