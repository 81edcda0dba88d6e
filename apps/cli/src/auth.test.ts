import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createClient, McpdeckError } from "@mcpdeck/sdk";
import { type LiveApi, startLiveApi } from "@mcpdeck/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpdeck, start, userHome } from "./testing/cli.js";

let api: LiveApi;
beforeAll(async () => {
  api = await startLiveApi();
});
afterAll(() => api.close());

describe("mcpdeck login / whoami / logout", () => {
  it("signs in with the emailed code typed at the prompt, keeps the tokens owner-only, and signs out", async () => {
    const home = userHome();
    const login = start(api, home, ["login"]);
    login.write("ada@example.com"); // typed before the prompt: read when it is asked
    await login.waitFor("Code: ");
    login.write("000000");
    const mistyped = await login.waitFor(/OTP_INVALID[\s\S]*Code: /);
    login.write(await api.code("ada@example.com"));
    expect(await login.exited).toBe(0);
    expect(login.output.slice(mistyped)).toMatch(
      /Welcome! Signed up to http:\/\/127\.0\.0\.1:\d+ as \S+ <ada@example\.com>\./,
    );
    expect(login.stderr).toContain("Email: ");

    const dir = join(home.config, "mcpdeck");
    const file = join(dir, "credentials.json");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, "utf8"));
    expect(stored.default_api).toBe(api.url);
    expect(stored.apis[api.url]).toMatchObject({
      email: "ada@example.com",
      refresh_token: expect.any(String),
    });

    const who = await mcpdeck(api, home, ["whoami", "--json"]);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ api: api.url, user: { email: "ada@example.com" } });

    // The API by flag: --api overrides MCPDECK_API_URL.
    const elsewhere = await mcpdeck(api, home, ["whoami", "--api", "http://127.0.0.1:1"]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("Not signed in to http://127.0.0.1:1");

    const out = await mcpdeck(api, home, ["logout"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`Signed out of ${api.url}.\n`);
    expect(JSON.parse(readFileSync(file, "utf8")).apis[api.url]).toBeUndefined();
    // The sign-in ended on the server too.
    const old = createClient({ baseUrl: api.url, tokens: stored.apis[api.url] });
    const error = await old.trpc.user.profile.query().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpdeckError);
    expect((error as McpdeckError).signInRequired).toBe(true);

    const after = await mcpdeck(api, home, ["whoami"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("mcpdeck login");
  });

  it("narrows a credentials file others could read", async () => {
    const home = userHome();
    const login = start(api, home, ["login", "--email", "grace@example.com"]);
    await login.waitFor("Code: ");
    login.write(await api.code("grace@example.com"));
    expect(await login.exited).toBe(0);
    const file = join(home.config, "mcpdeck", "credentials.json");
    const { chmodSync } = await import("node:fs");
    chmodSync(file, 0o644);
    chmodSync(join(home.config, "mcpdeck"), 0o755);
    expect((await mcpdeck(api, home, ["whoami"])).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.config, "mcpdeck")).mode & 0o777).toBe(0o700);
  });

  it("explains its usage mistakes with exit code 2", async () => {
    const home = userHome();
    const unknown = await mcpdeck(api, home, ["servers", "launch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command: mcpdeck servers launch");
    const badOption = await mcpdeck(api, home, ["whoami", "--yes"]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/Unknown option '--yes'/);
    const missing = await mcpdeck(api, home, ["run", "demo"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--graph plan.json");
    const help = await mcpdeck(api, home, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("mcpdeck <command>");
  });
});
