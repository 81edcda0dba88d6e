import { commandWords, parseCommand, UsageError } from "./args.js";
import { login, logout, whoami } from "./auth.js";
import { chat } from "./chat.js";
import { type CliContext, createContext } from "./context.js";
import { describeError } from "./errors.js";
import { runGraph } from "./run.js";
import {
  addServer,
  CONNECTION_OPTIONS,
  editServer,
  listServers,
  removeServer,
  serverStatus,
  serverTools,
  testServer,
} from "./servers.js";
import { createStyle } from "./style.js";

const USAGE = `mcpdeck — your MCP servers and agent sessions, at a terminal

Usage: mcpdeck <command> [options]

  login [--email ADDRESS]             sign in: a code is emailed to you, type it at the prompt
  logout                              end this sign-in
  whoami [--json]                     who is signed in, to which API
  servers ls [--json]                 your MCP servers
  servers add NAME URL [connection]   register a server
  servers edit SERVER [--name NAME] [--url URL] [connection]
  servers rm SERVER [--yes]           remove a server (and its conversations)
  servers test URL [connection]       try connecting, without saving
  servers status SERVER [--refresh] [--json]
                                      status and latency (--refresh: check the server now)
  servers tools SERVER [--json]       the tools a server offers
  chat SERVER                         an interactive session: requests, the same slash commands as the
                                      web client, the graph as a live tree, approvals and input requests
                                      at the prompt, /save to download artifacts
  run SERVER --graph PLAN.json [--yes] [--json] [--save]
                                      run a task graph (for scripts and CI): progress on stderr, results
                                      as JSON on stdout with --json, exit code 1 when any step failed

  SERVER is a server's name or id. Connection options: --auth none|api_key|oauth, --api-key KEY
  (asked at the prompt when absent), --header NAME, --client-id ID, --client-secret SECRET
  (- to type it at the prompt), --scope SCOPE, --timeout SECONDS, --ssl-verify / --no-ssl-verify.

Every command takes:
  --api URL      the mcpdeck API: else $MCPDECK_API_URL, else the last one signed in to, else
                 http://localhost:3000
  -h, --help     this help

Sign-ins are kept in $XDG_CONFIG_HOME/mcpdeck/credentials.json (~/.config/mcpdeck when unset),
readable by you alone.
`;

type Values = Record<string, string | boolean | undefined>;

interface Command {
  /** The positionals it takes, by name (a trailing ? makes one optional). */
  args: string[];
  options: Record<string, { type: "string" | "boolean"; short?: string }>;
  run(ctx: CliContext, args: string[], values: Values): Promise<unknown>;
}

const json = { json: { type: "boolean" } } as const;

const COMMANDS: Record<string, Command> = {
  login: {
    args: [],
    options: { email: { type: "string" } },
    run: (ctx, _a, v) => login(ctx, { email: v.email as string | undefined }),
  },
  logout: { args: [], options: {}, run: (ctx) => logout(ctx) },
  whoami: { args: [], options: json, run: (ctx, _a, v) => whoami(ctx, v) },
  "servers ls": { args: [], options: json, run: (ctx, _a, v) => listServers(ctx, v) },
  "servers add": {
    args: ["NAME", "URL"],
    options: { ...CONNECTION_OPTIONS, ...json },
    run: (ctx, [name, url], v) => addServer(ctx, name!, url!, v),
  },
  "servers edit": {
    args: ["SERVER"],
    options: { ...CONNECTION_OPTIONS, ...json, name: { type: "string" }, url: { type: "string" } },
    run: (ctx, [server], v) => editServer(ctx, server!, v),
  },
  "servers rm": {
    args: ["SERVER"],
    options: { yes: { type: "boolean", short: "y" } },
    run: (ctx, [s], v) => removeServer(ctx, s!, v),
  },
  "servers test": {
    args: ["URL"],
    options: { ...CONNECTION_OPTIONS, ...json },
    run: (ctx, [url], v) => testServer(ctx, url!, v),
  },
  "servers status": {
    args: ["SERVER"],
    options: { ...json, refresh: { type: "boolean" } },
    run: (ctx, [s], v) => serverStatus(ctx, s!, v),
  },
  "servers tools": { args: ["SERVER"], options: json, run: (ctx, [s], v) => serverTools(ctx, s!, v) },
  chat: { args: ["SERVER"], options: {}, run: (ctx, [s]) => chat(ctx, s!) },
  run: {
    args: ["SERVER"],
    options: {
      graph: { type: "string" },
      yes: { type: "boolean", short: "y" },
      save: { type: "boolean" },
      ...json,
    },
    run(ctx, [server], v) {
      if (typeof v.graph !== "string") throw new UsageError("run needs the plan: --graph plan.json");
      return runGraph(ctx, server!, {
        graph: v.graph,
        yes: Boolean(v.yes),
        json: Boolean(v.json),
        save: Boolean(v.save),
      });
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const words = commandWords(argv, (first) => (first === "servers" ? 2 : 1));
  const name = words.join(" ");
  const command = COMMANDS[name];
  if (!command) {
    const wantsHelp = argv.length === 0 || argv.includes("--help") || argv.includes("-h");
    if (wantsHelp && (words.length === 0 || (words.length === 1 && words[0] === "servers"))) {
      process.stdout.write(USAGE);
      return 0;
    }
    throw new UsageError(words.length ? `Unknown command: mcpdeck ${name}` : "Which command?");
  }
  const { values, positionals } = parseCommand(argv, words, command.options);
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const required = command.args.length;
  if (positionals.length !== required) {
    throw new UsageError(
      `mcpdeck ${name} takes ${required ? command.args.join(" ") : "no arguments"}${positionals.length > required ? `; extra: ${positionals.slice(required).join(" ")}` : ""}.`,
    );
  }
  const ctx = createContext(values.api as string | undefined);
  try {
    const code = await command.run(ctx, positionals, values as Values);
    return typeof code === "number" ? code : 0;
  } catch (error) {
    process.stderr.write(
      `${describeError(error, createStyle(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR), ctx.api)}\n`,
    );
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await ctx.client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${describeError(error, createStyle(false))}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
