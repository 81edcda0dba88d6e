import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

const api = process.env.MCPDECK_API_URL ?? "http://localhost:3000";

/**
 * `pnpm dev`: Vite with hot reload on :5173, the API behind it. The API checks the Origin of
 * WebSocket upgrades against its own, so the proxy presents the API's origin (same as the browser
 * would in production, where one origin serves both).
 */
const toApi: ProxyOptions = {
  target: api,
  ws: true,
  configure(proxy) {
    proxy.on("proxyReqWs", (req) => req.setHeader("origin", new URL(api).origin));
    proxy.on("proxyReq", (req) => {
      if (req.getHeader("origin")) req.setHeader("origin", new URL(api).origin);
    });
  },
};

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, proxy: { "/api": toApi, "/trpc": toApi } },
  build: { outDir: "dist", sourcemap: true },
});
