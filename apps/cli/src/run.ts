import { readFileSync } from "node:fs";
import {
  type Artifact,
  type GraphState,
  graphDone,
  type McpServer,
  type Session,
  type SessionEvent,
  SessionView,
} from "@mcpdeck/sdk";
import { UsageError } from "./args.js";
import { formatSize, saveArtifact } from "./artifacts.js";
import type { CliContext } from "./context.js";
import { dependentsFirst, progressBar, renderGraph, statusIcon, stepLine } from "./graph-tree.js";
import { askInput, Questions } from "./questions.js";
import { resolveServer } from "./servers.js";
import { Terminal } from "./terminal.js";

/** How long to wait for the agent's summary once every step has ended. */
const SUMMARY_WAIT_MS = 15_000;

interface RunOptions {
  graph: string;
  yes?: boolean;
  json?: boolean;
  save?: boolean;
}

function readPlan(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    // Compact: the command must fit in one chat message.
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Events until `until` is true, or undefined once `ms` passed without it. */
async function nextMatching(
  iterator: AsyncIterator<SessionEvent>,
  view: SessionView,
  onEvent: (event: SessionEvent) => Promise<unknown> | unknown,
  until: (event: SessionEvent) => boolean,
  ms?: number,
): Promise<SessionEvent | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    if (ms !== undefined) timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    for (;;) {
      const result = await Promise.race([iterator.next(), timeout]);
      if (!result || result.done) return undefined;
      view.apply(result.value);
      await onEvent(result.value);
      if (until(result.value)) return result.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `mcpdeck run <server> --graph plan.json`: for scripts and CI. The plan runs in a conversation of
 * its own; progress goes to stderr; `--json` writes the results to stdout; the exit code is 0 only
 * when every step succeeded.
 */
export async function runGraph(ctx: CliContext, serverRef: string, opts: RunOptions): Promise<number> {
  const plan = readPlan(opts.graph);
  const server: McpServer = await resolveServer(ctx.client, serverRef);
  const term = new Terminal(process.stdin, process.stderr);
  const { style } = term;
  const conversation = await ctx.client.trpc.sessions.start.mutate({ server_id: server.id });
  const session: Session = ctx.client.session(server.id, { sessionId: conversation.id });
  const events = session.events();
  const view = new SessionView();
  const questions = new Questions();
  const percent = new Map<string, number>();
  let graph: GraphState | undefined;

  const drawLive = () => {
    if (graph && !graphDone(graph)) term.setLive(renderGraph(graph, style));
    else term.setLive([]);
  };
  const onEvent = async (event: SessionEvent) => {
    // The live region first: lines printed below are drawn above the region as it now is.
    drawLive();
    if (!graph) return;
    if (event.type === "task_update" && event.payload.graph_id === graph.id) {
      const node = graph.nodes.find((n) => n.id === event.payload.node_id)!;
      if (event.payload.progress) {
        // Without a terminal, a line at each quarter is enough.
        const done = node.progress?.total ? Math.floor((node.progress.current / node.progress.total) * 4) : 0;
        if (!term.interactive && done > (percent.get(node.id) ?? 0)) {
          percent.set(node.id, done);
          term.print(`  ${statusIcon(node.status, style)} ${node.id} ${progressBar(node.progress!)}`);
        }
      } else term.print(stepLine(node, style, 200));
    }
    if (event.type === "log_entry" && event.payload.level !== "debug" && event.payload.level !== "info") {
      term.print(
        style.dim(`  · ${event.payload.node_id ? `${event.payload.node_id}: ` : ""}${event.payload.message}`),
      );
    }
    if (event.type === "input_request") {
      const question = questions.next(view);
      if (question?.kind === "input") {
        if (term.interactive) await askInput(term, session, question, questions);
        else {
          term.print(
            style.yellow(
              `  ${event.payload.node_id ?? "A step"} asks "${event.payload.message}": nobody to answer here, so it is dismissed.`,
            ),
          );
          questions.settle(question);
          await session.respond(question.request.request_id, { action: "cancel" }).catch(() => undefined);
        }
      }
    }
  };

  try {
    await session.send(`/graph ${plan}`);
    // The plan, or the reason it was refused (a SYSTEM message: invalid plan, unknown tools, …).
    const answer = await nextMatching(
      events,
      view,
      () => undefined,
      (e) => e.type === "task_graph_proposal" || (e.type === "chat_message" && e.payload.sender === "SYSTEM"),
    );
    if (answer?.type !== "task_graph_proposal") {
      term.print(
        style.red(
          answer?.type === "chat_message"
            ? answer.payload.text
            : "The session ended before the plan was shown.",
        ),
      );
      return 1;
    }
    graph = view.graphs.get(answer.payload.graph_id)!;
    term.print(
      `${style.bold(`Plan for ${server.name}`)} (${graph.nodes.length} steps):\n${renderGraph(graph, style).join("\n")}`,
    );
    let approved = Boolean(opts.yes);
    if (!approved && term.interactive) {
      const reply = await term.ask(
        `Run ${graph.nodes.length === 1 ? "this step" : `these ${graph.nodes.length} steps`}? [y/N] `,
      );
      approved = typeof reply === "string" && /^(y|yes)$/i.test(reply.trim());
    }
    if (!approved) {
      await session.cancel();
      term.print(term.interactive ? "Not run." : "Not run: pass --yes to approve the plan without a prompt.");
      return 1;
    }
    // --yes approves what the plan's author wrote: every step, destructive ones too.
    for (const node of dependentsFirst(graph.nodes)) await session.approve(node.id, { graphId: graph.id });
    const current = graph;
    await nextMatching(events, view, onEvent, () => graphDone(current));
    term.setLive([]);
    let summary: string | undefined;
    if (current.nodes.some((n) => n.started_at)) {
      const said = await nextMatching(
        events,
        view,
        () => undefined,
        (e) => e.type === "chat_message" && e.payload.sender === "AGENT",
        SUMMARY_WAIT_MS,
      );
      if (said?.type === "chat_message") summary = said.payload.text;
    }
    const artifacts: (Artifact & { saved_as?: string })[] = [];
    for (const artifact of view.artifacts) {
      const entry: Artifact & { saved_as?: string } = { ...artifact };
      if (opts.save) {
        entry.saved_as = await saveArtifact(ctx.client, artifact, process.cwd());
        term.print(`  saved ${entry.saved_as} (${formatSize(artifact.size)})`);
      }
      artifacts.push(entry);
    }
    const ok = current.nodes.every((n) => n.status === "succeeded");
    if (opts.json) {
      const result = {
        ok,
        server: { id: server.id, name: server.name },
        session_id: conversation.id,
        graph_id: current.id,
        nodes: current.nodes.map((n) => ({
          id: n.id,
          title: n.title,
          tool: n.tool,
          status: n.status,
          ...(n.result_preview !== undefined ? { result_preview: n.result_preview } : {}),
          ...(n.error !== undefined ? { error: n.error } : {}),
          ...(n.started_at ? { started_at: n.started_at } : {}),
          ...(n.finished_at ? { finished_at: n.finished_at } : {}),
        })),
        artifacts,
        ...(summary !== undefined ? { summary } : {}),
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`${renderGraph(current, style).join("\n")}\n`);
      if (summary) process.stdout.write(`${summary}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    term.close();
    await session.close();
  }
}
