import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { httpStatusOf } from "./api/errors.js";
import { createApiClient, TRPCProvider } from "./api/trpc.js";
import { AuthProvider } from "./auth/auth-context.js";
import { createBrowserTokenManager } from "./auth/browser-tokens.js";
import "./styles.css";

const tokens = createBrowserTokenManager();
const { client } = createApiClient(tokens);
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // 4xx answers are final (not found, refused, invalid); only the network and 5xx are retried.
      retry: (count, error) => count < 2 && (httpStatusOf(error) ?? 500) >= 500,
      refetchOnWindowFocus: false,
    },
  },
});
void tokens.start();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <AuthProvider tokens={tokens}>
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={client} queryClient={queryClient}>
          <App />
        </TRPCProvider>
      </QueryClientProvider>
    </AuthProvider>
  </StrictMode>,
);
