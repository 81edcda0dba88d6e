import { type McpServer, SessionView } from "@mcpdeck/sdk";
import { formatSize, saveArtifact } from "./artifacts.js";
import { ChatScreen } from "./chat-screen.js";
import type { CliContext } from "./context.js";
import { describeError } from "./errors.js";
import { ask, type Question, Questions } from "./questions.js";
import { resolveServer } from "./servers.js";
import { INTERRUPTED, Terminal } from "./terminal.js";

const LOCAL_HELP = `This terminal's own commands:
  /artifacts         list the artifacts of this conversation
  /save [N|all]      download artifact N (default: all not saved yet) into the current directory
  /sessions          list your conversations with this server
  /quit              leave (Ctrl-D too)`;

/**
 * `mcpdeck chat <server>`: the session at a terminal. Lines go to the session as typed (requests and
 * the same slash commands as the web client); the graph is drawn as a tree with live statuses and
 * progress bars; approvals and input requests are asked at the prompt as they arrive.
 */
export async function chat(ctx: CliContext, serverRef: string): Promise<void> {
  const server: McpServer = await resolveServer(ctx.client, serverRef);
  const term = new Terminal();
  const { style } = term;
  const session = ctx.client.session(server.id);
  const view = new SessionView();
  const screen = new ChatScreen(term, view, server);
  const questions = new Questions();
  const saved = new Set<string>();
  let asking: Question | undefined;
  let failure: unknown;

  term.print(style.dim(`Chatting with ${server.name} (${server.url}). /help for commands, /quit to leave.`));

  const following = (async () => {
    try {
      for await (const event of session) {
        view.apply(event);
        screen.show(event);
        // Something new to ask while the plain prompt waits, or the question asked was settled elsewhere.
        const next = questions.next(view);
        if (asking ? !questions.stillOpen(asking, view) : next) term.interrupt();
      }
    } catch (error) {
      failure = error;
      term.close();
    }
  })();

  async function save(arg: string | undefined) {
    const chosen =
      arg === undefined
        ? view.artifacts.filter((a) => !saved.has(a.artifact_id))
        : arg === "all"
          ? view.artifacts
          : [view.artifacts[Number(arg) - 1]].filter((a) => a !== undefined);
    if (chosen.length === 0) {
      term.print(
        arg === undefined || arg === "all"
          ? "Nothing to save yet."
          : `There is no artifact ${arg}: /artifacts lists them.`,
      );
      return;
    }
    for (const artifact of chosen) {
      try {
        const path = await saveArtifact(ctx.client, artifact, process.cwd());
        saved.add(artifact.artifact_id);
        term.print(`  saved ${path} (${formatSize(artifact.size)})`);
      } catch (error) {
        term.print(describeError(error, style, ctx.api));
      }
    }
  }

  /** A line typed at the prompt; false to leave. */
  async function handle(line: string): Promise<boolean> {
    const text = line.trim();
    if (text === "") return true;
    const [command, arg] = text.split(/\s+/, 2);
    switch (command) {
      case "/quit":
      case "/exit":
        return false;
      case "/artifacts":
        if (view.artifacts.length === 0) term.print("No artifacts in this conversation yet.");
        for (const [i, a] of view.artifacts.entries()) {
          const status = saved.has(a.artifact_id) ? " — saved" : "";
          term.print(`  ${i + 1}. ${a.name} (${a.content_type}, ${formatSize(a.size)})${status}`);
        }
        return true;
      case "/save":
        await save(arg);
        return true;
      case "/sessions":
        try {
          for (const s of await session.sessions())
            term.print(
              `  ${s.current ? "*" : " "} ${s.title || "untitled"} ${style.dim(`${s.id} · ${s.updated_at}`)}`,
            );
        } catch (error) {
          term.print(describeError(error, style, ctx.api));
        }
        return true;
      case "/help":
        term.print(LOCAL_HELP);
        break;
    }
    screen.sent(text);
    try {
      await session.send(text);
    } catch (error) {
      screen.unsent(text);
      term.print(describeError(error, style, ctx.api));
    }
    return true;
  }

  for (;;) {
    if (failure) break;
    const question = questions.next(view);
    let line: string | null | typeof INTERRUPTED;
    if (question) {
      asking = question;
      const outcome = await ask(term, session, question, questions);
      asking = undefined;
      if (outcome === "done" || outcome === INTERRUPTED) continue;
      line = outcome === null ? null : outcome.line;
    } else {
      line = await term.ask(`${style.bold(server.name)}> `);
    }
    if (line === INTERRUPTED) continue;
    if (line === null || !(await handle(line))) break;
  }
  term.close();
  await session.close();
  await following;
  if (failure) throw failure;
}
