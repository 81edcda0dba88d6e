import { type StreamablePeer, startStreamablePeer } from "@mcpdeck/mcp/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
let token: string;
let userId: string;
let peer: StreamablePeer;

beforeAll(async () => {
  peer = await startStreamablePeer();
  app = await startTestApp({ statusChecks: false });
  const signedIn = await app.signIn("update@example.com");
  token = signedIn.access_token;
  userId = signedIn.user.id;
});
afterAll(async () => {
  await app.close();
  await peer.close();
});

async function createServer(name: string) {
  const res = await app.request("POST", "/api/v1/servers", {
    token,
    body: { name, url: peer.url, auth_method: "none" },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Starts a tool call on the server's pooled connection, as a session would. */
async function slowCall(serverId: string, ms: number) {
  const row = await app.services.servers.getOwned(userId, serverId);
  return app.services.servers.withConnection(row, (c) => c.callTool("sleep", { ms }));
}

describe("changing a server while a tool call runs", () => {
  it("lets the call finish when the server is only renamed, and keeps the warm connection", async () => {
    const id = await createServer("rename-me");
    await slowCall(id, 1); // warm the connection
    const connectsBefore = app.services.pool.stats().connects;
    const running = slowCall(id, 600);
    await new Promise((r) => setTimeout(r, 100));
    const renamed = await app.request("PUT", `/api/v1/servers/${id}`, {
      token,
      body: { name: "renamed" },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("renamed");
    const result = await running;
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: "text", text: "slept" }]);
    await slowCall(id, 1);
    expect(app.services.pool.stats().connects).toBe(connectsBefore);
  });

  it("lets the call finish on the old connection when the endpoint changes, and reconnects after", async () => {
    const id = await createServer("retune-me");
    await slowCall(id, 1);
    const connectsBefore = app.services.pool.stats().connects;
    const deletesBefore = peer.stats.deletes;
    const running = slowCall(id, 600);
    await new Promise((r) => setTimeout(r, 100));
    const changed = await app.request("PUT", `/api/v1/servers/${id}`, {
      token,
      body: { timeout: 12 },
    });
    expect(changed.status).toBe(200);
    // The old session is still open: the call in flight holds it.
    expect(peer.stats.deletes).toBe(deletesBefore);
    const result = await running;
    expect(result.content).toEqual([{ type: "text", text: "slept" }]);
    // Closed once its last call finished, and the next call opened a connection with the new timeout.
    await expect.poll(() => peer.stats.deletes).toBe(deletesBefore + 1);
    await slowCall(id, 1);
    expect(app.services.pool.stats().connects).toBe(connectsBefore + 1);
  });
});
