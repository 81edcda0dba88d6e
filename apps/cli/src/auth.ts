import { McpdeckError } from "@mcpdeck/sdk";
import { UsageError } from "./args.js";
import type { CliContext } from "./context.js";
import { readCredentials, writeCredentials } from "./credentials.js";
import { describeError } from "./errors.js";
import { Terminal } from "./terminal.js";

const ATTEMPTS = 5;

async function line(term: Terminal, prompt: string): Promise<string> {
  const answer = await term.ask(prompt);
  if (typeof answer !== "string") throw new UsageError("The input ended before sign-in finished.");
  return answer.trim();
}

/** `mcpdeck login`: email → the emailed code, at the prompt; the tokens are kept for this API. */
export async function login(ctx: CliContext, opts: { email?: string }) {
  const term = new Terminal(process.stdin, process.stderr);
  try {
    const email = opts.email ?? (await line(term, "Email: "));
    const sent = await ctx.client.auth.requestOtp({ email });
    term.print(
      `A 6-digit code is on its way to ${email} (a new one can be asked for in ${sent.cooldown_sec} s).`,
    );
    for (let attempt = 1; ; attempt++) {
      const code = await line(term, "Code: ");
      try {
        const { user, is_new_user } = await ctx.client.auth.verifyOtp({ email, code });
        const credentials = readCredentials();
        credentials.default_api = ctx.api;
        credentials.apis[ctx.api] = { ...credentials.apis[ctx.api]!, email: user.email };
        writeCredentials(credentials);
        process.stdout.write(
          `${is_new_user ? "Welcome! Signed up" : "Signed in"} to ${ctx.api} as ${user.username} <${user.email}>.\n`,
        );
        return;
      } catch (error) {
        // A mistyped code may be typed again, while the code lives.
        if (error instanceof McpdeckError && error.code === "OTP_INVALID" && attempt < ATTEMPTS) {
          term.print(describeError(error, term.style));
          continue;
        }
        throw error;
      }
    }
  } finally {
    term.close();
  }
}

export async function logout(ctx: CliContext) {
  const signedIn = await ctx.client.auth.tokens();
  await ctx.client.auth.logout();
  const credentials = readCredentials();
  if (credentials.default_api === ctx.api) delete credentials.default_api;
  writeCredentials(credentials);
  process.stdout.write(signedIn ? `Signed out of ${ctx.api}.\n` : `Not signed in to ${ctx.api}.\n`);
}

export async function whoami(ctx: CliContext, opts: { json?: boolean }) {
  if (!(await ctx.client.auth.tokens())) {
    throw new McpdeckError({ code: "UNAUTHENTICATED", message: `Not signed in to ${ctx.api}.` });
  }
  const user = await ctx.client.trpc.user.profile.query();
  process.stdout.write(
    opts.json
      ? `${JSON.stringify({ api: ctx.api, user }, null, 2)}\n`
      : `${user.username} <${user.email}> at ${ctx.api}\n`,
  );
}
