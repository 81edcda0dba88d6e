import { useEffect, useState } from "react";
import { createApiClient } from "./trpc.js";

const api = createApiClient();

/** Placeholder until the terminal client lands: shows that the API behind it is alive. */
export function App() {
  const [health, setHealth] = useState<string>("checking…");
  useEffect(() => {
    api.health.healthz
      .query()
      .then((h) => setHealth(h.status))
      .catch(() => setHealth("unreachable"));
  }, []);
  return (
    <main
      style={{
        fontFamily: "ui-monospace, monospace",
        background: "#0b0f0c",
        color: "#c8facc",
        minHeight: "100vh",
        padding: 32,
      }}
    >
      <h1>mcpdeck</h1>
      <p>Multi-user web client for the Model Context Protocol.</p>
      <p>
        API status: <strong data-testid="health">{health}</strong>
      </p>
      <p>
        REST API:{" "}
        <a style={{ color: "#8fd" }} href="/api/v1/openapi.json">
          /api/v1/openapi.json
        </a>
      </p>
    </main>
  );
}
