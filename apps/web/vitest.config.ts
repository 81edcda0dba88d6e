import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

/** Component and unit tests (src/**): happy-dom, no browser. The browser runs the e2e suite. */
export default defineConfig({
  plugins: [react()],
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "happy-dom",
  },
});
