import { createServer } from "node:net";
import { type LiveApi, startLiveApi } from "@mcpdeck/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpdeck, signedIn, start, userHome } from "./testing/cli.js";

let api: LiveApi;
beforeAll(async () => {
  api = await startLiveApi();
});
afterAll(() => api.close());

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("mcpdeck servers", () => {
  it("adds, lists, edits, checks, lists tools of and removes servers", async () => {
    const home = userHome();
    await signedIn(api, home, "ops@example.com");

    const empty = await mcpdeck(api, home, ["servers", "ls"]);
    expect(empty.stdout).toContain("No servers yet");

    const added = await mcpdeck(api, home, ["servers", "add", "demo", api.demoUrl]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Added demo \([\w-]+\)\.\n$/);
    const taken = await mcpdeck(api, home, ["servers", "add", "Demo", api.demoUrl]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("SERVER_NAME_TAKEN");

    const list = await mcpdeck(api, home, ["servers", "ls"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+AUTH\s+URL\s+ID$/);
    expect(list.stdout).toMatch(new RegExp(`demo\\s+\\w+\\s+none\\s+${api.demoUrl.replace(/[.]/g, "\\.")}`));

    const edited = await mcpdeck(api, home, [
      "servers",
      "edit",
      "demo",
      "--name",
      "analytics",
      "--timeout",
      "20",
    ]);
    expect(edited.stdout).toBe("Updated analytics.\n");
    const [server] = JSON.parse((await mcpdeck(api, home, ["servers", "ls", "--json"])).stdout);
    expect(server).toMatchObject({ name: "analytics", timeout: 20, ssl_verify: true });

    const status = await mcpdeck(api, home, ["servers", "status", "ANALYTICS"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^analytics: online · \d+ ms · checked \S+\n$/);
    // The stored check answers again; --refresh checks the server now.
    const stored = JSON.parse(
      (await mcpdeck(api, home, ["servers", "status", "analytics", "--json"])).stdout,
    );
    const fresh = await mcpdeck(api, home, ["servers", "status", "analytics", "--refresh", "--json"]);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout).status).toBe("online");
    expect(Date.parse(JSON.parse(fresh.stdout).last_checked)).toBeGreaterThan(
      Date.parse(stored.last_checked),
    );
    const tools = await mcpdeck(api, home, ["servers", "tools", server.id]);
    expect(tools.stdout).toMatch(/^query_signups\s+\S/m);
    expect(tools.stdout).toMatch(/^build_report\s+\S/m);

    const ok = await mcpdeck(api, home, ["servers", "test", api.demoUrl]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^✓ .+/);
    const refused = await mcpdeck(api, home, [
      "servers",
      "test",
      `http://127.0.0.1:${await closedPort()}/mcp`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: .+ \(CONNECTION_FAILED, CONNECTION_REFUSED\)/);

    const unconfirmed = await mcpdeck(api, home, ["servers", "rm", "analytics"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("add --yes");
    const removed = await mcpdeck(api, home, ["servers", "rm", "analytics", "--yes"]);
    expect(removed.stdout).toBe("Removed analytics.\n");
    const gone = await mcpdeck(api, home, ["servers", "status", "analytics"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('You have no server named "analytics"');
  });

  it("asks for an API key at the prompt rather than on the command line", async () => {
    const home = userHome();
    await signedIn(api, home, "keys@example.com");
    const add = start(api, home, [
      "servers",
      "add",
      "keyed",
      api.demoUrl,
      "--auth",
      "api_key",
      "--header",
      "X-API-Key",
      "--json",
    ]);
    await add.waitFor("API key: ");
    add.write("s3cret-key");
    expect(await add.exited).toBe(0);
    const server = JSON.parse(add.stdout);
    expect(server).toMatchObject({ name: "keyed", auth_method: "api_key", has_credentials: true });
    expect(add.output).not.toContain("s3cret-key");
    // An OAuth client secret too, with `--client-secret -`.
    const oauth = start(api, home, [
      "servers",
      "add",
      "confidential",
      api.demoUrl,
      "--client-id",
      "mcpdeck-client",
      "--client-secret",
      "-",
      "--json",
    ]);
    await oauth.waitFor("Client secret: ");
    oauth.write("very-s3cret");
    expect(await oauth.exited).toBe(0);
    expect(JSON.parse(oauth.stdout)).toMatchObject({
      name: "confidential",
      auth_method: "oauth",
      has_credentials: true,
    });
    expect(oauth.output).not.toContain("very-s3cret");
    const bad = await mcpdeck(api, home, ["servers", "add", "x", api.demoUrl, "--auth", "password"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--auth is none, api_key or oauth");
  });
});
