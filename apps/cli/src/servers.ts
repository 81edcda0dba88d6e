import { type McpdeckClient, McpdeckError, type McpServer, type RouterInputs } from "@mcpdeck/sdk";
import { UsageError } from "./args.js";
import type { CliContext } from "./context.js";
import { createStyle, visibleLength } from "./style.js";
import { Terminal } from "./terminal.js";

type Create = RouterInputs["servers"]["create"];
type AuthMethod = Create["auth_method"];

export async function allServers(client: McpdeckClient): Promise<McpServer[]> {
  const servers: McpServer[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.trpc.servers.list.query({ limit: 100, ...(cursor ? { cursor } : {}) });
    servers.push(...page.servers);
    cursor = page.next;
  } while (cursor);
  return servers;
}

/** A server by its id or its name (names are unique per user, ignoring case). */
export async function resolveServer(client: McpdeckClient, ref: string): Promise<McpServer> {
  const servers = await allServers(client);
  const found =
    servers.find((s) => s.id === ref) ?? servers.find((s) => s.name.toLowerCase() === ref.toLowerCase());
  if (!found) {
    throw new McpdeckError({
      code: "NOT_FOUND",
      message: `You have no server named "${ref}"${servers.length ? `; yours: ${servers.map((s) => s.name).join(", ")}` : ""}. (mcpdeck servers ls lists them.)`,
    });
  }
  return found;
}

/** The options that describe how to reach a server (add, edit, test). */
export const CONNECTION_OPTIONS = {
  auth: { type: "string" },
  "api-key": { type: "string" },
  header: { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  scope: { type: "string" },
  timeout: { type: "string" },
  "ssl-verify": { type: "boolean" },
  "no-ssl-verify": { type: "boolean" },
} as const;

type ConnectionValues = {
  [K in keyof typeof CONNECTION_OPTIONS]?: K extends "ssl-verify" | "no-ssl-verify" ? boolean : string;
};

function authMethod(values: ConnectionValues): AuthMethod | undefined {
  const auth = values.auth ?? (values["api-key"] ? "api_key" : values["client-id"] ? "oauth" : undefined);
  if (auth === undefined) return undefined;
  if (auth !== "none" && auth !== "api_key" && auth !== "oauth")
    throw new UsageError(`--auth is none, api_key or oauth; got "${auth}".`);
  return auth;
}

/** Asks at the prompt, without echo, for a secret (a flag would leave it in the shell's history). */
async function askSecret(label: string): Promise<string | undefined> {
  const term = new Terminal(process.stdin, process.stderr);
  const answer = await term.ask(`${label}: `, { secret: true });
  term.close();
  return typeof answer === "string" && answer.trim() !== "" ? answer.trim() : undefined;
}

/** The API key: from --api-key, else asked at the prompt. */
async function apiKey(values: ConnectionValues): Promise<string> {
  if (values["api-key"]) return values["api-key"];
  const key = await askSecret("API key");
  if (!key) throw new UsageError("An api_key server needs its key: --api-key or at the prompt.");
  return key;
}

/** An OAuth client secret (optional): `--client-secret -` asks for it at the prompt. */
async function clientSecret(values: ConnectionValues): Promise<string | undefined> {
  const given = values["client-secret"];
  if (given !== "-") return given || undefined;
  const secret = await askSecret("Client secret");
  if (!secret) throw new UsageError("--client-secret - asks for the secret at the prompt; none was typed.");
  return secret;
}

async function connection(values: ConnectionValues, auth: AuthMethod | undefined) {
  const out: Partial<Pick<Create, "auth_method" | "credentials" | "timeout" | "ssl_verify">> = {};
  if (auth) out.auth_method = auth;
  if (auth === "api_key") {
    out.credentials = { api_key: await apiKey(values), ...(values.header ? { header: values.header } : {}) };
  } else if (auth === "oauth") {
    const secret = await clientSecret(values);
    const oauth = {
      ...(values["client-id"] ? { client_id: values["client-id"] } : {}),
      ...(secret ? { client_secret: secret } : {}),
      ...(values.scope ? { scope: values.scope } : {}),
    };
    if (Object.keys(oauth).length) out.credentials = oauth;
  }
  if (values.timeout !== undefined) {
    const timeout = Number(values.timeout);
    if (!Number.isFinite(timeout)) throw new UsageError(`--timeout is in seconds; got "${values.timeout}".`);
    out.timeout = timeout;
  }
  if (values["no-ssl-verify"]) out.ssl_verify = false;
  else if (values["ssl-verify"]) out.ssl_verify = true;
  return out;
}

const style = createStyle(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const json = (value: unknown): void => print(JSON.stringify(value, null, 2));

function statusText(status: string): string {
  return status === "online"
    ? style.green(status)
    : status === "error"
      ? style.red(status)
      : style.yellow(status);
}

function table(rows: string[][]) {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => visibleLength(r[c]!))));
  for (const row of rows)
    print(
      row
        .map((cell, c) => cell + " ".repeat(widths[c]! - visibleLength(cell)))
        .join("  ")
        .trimEnd(),
    );
}

export async function listServers(ctx: CliContext, opts: { json?: boolean }) {
  const servers = await allServers(ctx.client);
  if (opts.json) return json(servers);
  if (servers.length === 0) return print("No servers yet: mcpdeck servers add NAME URL");
  table([
    ["NAME", "STATUS", "AUTH", "URL", "ID"],
    ...servers.map((s) => [style.bold(s.name), statusText(s.status), s.auth_method, s.url, style.dim(s.id)]),
  ]);
}

async function authorizeIfOAuth(ctx: CliContext, server: McpServer) {
  if (server.auth_method !== "oauth") return;
  const { authorization_url } = await ctx.client.trpc.servers.oauthStart.mutate({ server_id: server.id });
  print(`Authorize mcpdeck to use ${server.name} by opening:\n  ${authorization_url}`);
}

export async function addServer(
  ctx: CliContext,
  name: string,
  url: string,
  values: ConnectionValues & { json?: boolean },
) {
  const server = await ctx.client.trpc.servers.create.mutate({
    name,
    url,
    auth_method: "none",
    ...(await connection(values, authMethod(values))),
  } as Create);
  if (values.json) return json(server);
  print(`Added ${style.bold(server.name)} (${server.id}).`);
  await authorizeIfOAuth(ctx, server);
}

export async function editServer(
  ctx: CliContext,
  ref: string,
  values: ConnectionValues & { name?: string; url?: string; json?: boolean },
) {
  const server = await resolveServer(ctx.client, ref);
  const change = {
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.url !== undefined ? { url: values.url } : {}),
    ...(await connection(values, authMethod(values))),
  };
  if (Object.keys(change).length === 0)
    throw new UsageError(
      "Nothing to change: give --name, --url, --auth, --api-key, --timeout or --[no-]ssl-verify.",
    );
  const updated = await ctx.client.trpc.servers.update.mutate({
    server_id: server.id,
    ...change,
  } as RouterInputs["servers"]["update"]);
  if (values.json) return json(updated);
  print(`Updated ${style.bold(updated.name)}.`);
  if (change.auth_method === "oauth") await authorizeIfOAuth(ctx, updated);
}

export async function removeServer(ctx: CliContext, ref: string, opts: { yes?: boolean }) {
  const server = await resolveServer(ctx.client, ref);
  if (!opts.yes) {
    const term = new Terminal(process.stdin, process.stderr);
    if (!term.interactive) {
      term.close();
      throw new UsageError(`Removing ${server.name} needs confirmation: add --yes.`);
    }
    const answer = await term.ask(`Remove ${server.name} (${server.url}) and its conversations? [y/N] `);
    term.close();
    if (typeof answer !== "string" || !/^(y|yes)$/i.test(answer.trim())) return print("Kept.");
  }
  await ctx.client.trpc.servers.delete.mutate({ server_id: server.id });
  print(`Removed ${server.name}.`);
}

export async function testServer(
  ctx: CliContext,
  url: string,
  values: ConnectionValues & { json?: boolean },
) {
  const result = await ctx.client.trpc.servers.test.mutate({
    url,
    auth_method: "none",
    ...(await connection(values, authMethod(values))),
  } as RouterInputs["servers"]["test"]);
  if (values.json) return json(result);
  print(`${style.green("✓")} ${result.message}`);
}

export async function serverStatus(
  ctx: CliContext,
  ref: string,
  opts: { json?: boolean; refresh?: boolean },
) {
  const server = await resolveServer(ctx.client, ref);
  const status = await ctx.client.trpc.servers.status.query({
    server_id: server.id,
    ...(opts.refresh ? { refresh: true } : {}),
  });
  if (opts.json) return json(status);
  const latency = status.latency !== undefined && status.latency !== null ? ` · ${status.latency} ms` : "";
  print(
    `${style.bold(server.name)}: ${statusText(status.status)}${latency} · checked ${status.last_checked}`,
  );
}

export async function serverTools(ctx: CliContext, ref: string, opts: { json?: boolean }) {
  const server = await resolveServer(ctx.client, ref);
  const { tools } = await ctx.client.trpc.servers.tools.query({ server_id: server.id });
  if (opts.json) return json(tools);
  const width = Math.max(0, ...tools.map((t) => t.name.length));
  for (const tool of tools) {
    const about = (tool.title ?? tool.description ?? "").split("\n")[0]!;
    print(`${style.bold(tool.name.padEnd(width))}  ${style.dim(about)}`);
  }
}
