/**
 * The page behind `connect_data_source`'s URL elicitation: GET /connect/<id> shows what is being
 * connected and a button; POST /connect/<id> confirms. A tiny stand-in for a third party's consent page.
 */
import express, { type Router } from "express";
import type { DataSourceConnections } from "./dataSourceConnections.js";
import { DATA_SOURCES } from "./tools/connectDataSource.js";

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
  `<meta name="viewport" content="width=device-width,initial-scale=1">` +
  `<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}` +
  `button{font:inherit;padding:.5rem 1.5rem}</style></head><body>${body}</body></html>`;

const labelOf = (source: string): string => DATA_SOURCES[source as keyof typeof DATA_SOURCES] ?? source;

export function connectPageRouter(connections: DataSourceConnections): Router {
  const router = express.Router();
  router.get("/connect/:id", (req, res) => {
    const source = connections.sourceOf(req.params.id);
    if (!source) {
      res
        .status(404)
        .type("html")
        .send(
          page(
            "Unknown request",
            "<h1>Unknown or expired request</h1><p>Ask the assistant to connect again.</p>",
          ),
        );
      return;
    }
    const label = labelOf(source);
    const body = connections.isConfirmed(req.params.id)
      ? `<h1>${label} is connected</h1><p>You can close this page.</p>`
      : `<h1>Connect ${label}</h1><p>The mcpdeck demo server asks to read your ${label} data for the signups analysis (demo: nothing is read).</p>` +
        `<form method="post"><button type="submit">Connect</button></form>`;
    res.type("html").send(page(`Connect ${label}`, body));
  });
  router.post("/connect/:id", (req, res) => {
    const source = connections.sourceOf(req.params.id);
    if (!source || !connections.confirm(req.params.id)) {
      res.status(404).type("html").send(page("Unknown request", "<h1>Unknown or expired request</h1>"));
      return;
    }
    res
      .type("html")
      .send(
        page(
          "Connected",
          `<h1>${labelOf(source)} is connected</h1><p>You can close this page and return to the assistant.</p>`,
        ),
      );
  });
  return router;
}
