import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "../../api/trpc.js";
import { Link, navigate, useLocation } from "../../router.js";
import { ShortcutList, useKeys } from "../../ui/shortcuts.js";
import { Artifacts } from "./Artifacts.js";
import { Conversations } from "./Conversations.js";
import { GraphView } from "./GraphView.js";
import { type Level, LogPane } from "./LogPane.js";
import { NodeDetail } from "./NodeDetail.js";
import { Prompt, type PromptHandle } from "./Prompt.js";
import { StatusBar } from "./StatusBar.js";
import type { NodeView } from "./session-state.js";
import { Transcript } from "./Transcript.js";
import { useSessionStream } from "./use-session-stream.js";

/** Shift+A: approve every pending node. */
const APPROVE_ALL_KEY = "A";

const TABS = [
  ["graph", "Graph"],
  ["logs", "Logs"],
  ["files", "Files"],
  ["conversations", "Conversations"],
] as const;
type Tab = (typeof TABS)[number][0];

/** One server's session: the conversation and prompt, beside its graph, logs, files and history. */
export default function SessionScreen({ serverId }: { serverId: string }) {
  const trpc = useTRPC();
  const { path, query } = useLocation();
  const chosenSession = query.get("session") ?? undefined;
  const { state, link, send, retryNow } = useSessionStream(serverId, chosenSession);
  const servers = useQuery(trpc.servers.list.queryOptions({ limit: 100 }));
  const server = servers.data?.servers.find((s) => s.id === serverId);
  const prompt = useRef<PromptHandle>(null);
  const [tab, setTab] = useState<Tab>("graph");
  const [shownGraphId, setShownGraphId] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [artifactId, setArtifactId] = useState<string>();
  const [minLevel, setMinLevel] = useState<Level>("debug");
  const [follow, setFollow] = useState(true);
  const [fitSignal, setFitSignal] = useState(0);
  const [zoomSignal, setZoomSignal] = useState({ n: 0, factor: 1 });
  const [notes, setNotes] = useState<Array<{ key: string; after: number; node: React.ReactNode }>>([]);

  const graph = state.graphs[shownGraphId ?? state.latestGraphId ?? ""];
  const node: NodeView | undefined = graph && selected ? graph.nodes[selected] : undefined;

  // A new plan is shown as it arrives.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the newest graph's id is the trigger.
  useEffect(() => {
    setShownGraphId(undefined);
    setSelected(undefined);
  }, [state.latestGraphId]);

  // After /new the conversation shown is the current one: drop a past one's id from the address.
  useEffect(() => {
    if (state.sessionId && query.get("session")) navigate(path, { replace: true });
  }, [state.sessionId, query, path]);

  const say = useCallback(
    (text: string) => {
      const ok = send({ type: "chat_message", payload: { text } });
      if (ok && text.trim() === "/help") {
        setNotes((n) => [
          ...n,
          {
            key: `help-${n.length}`,
            // After the echo of /help and the server's answer to it.
            after: state.items.length + 1,
            node: (
              <div className="line sender-SYSTEM local-note">
                <span className="who">keys</span>
                <span className="when" />
                <div className="text">
                  <ShortcutList />
                </div>
              </div>
            ),
          },
        ]);
      }
      return ok;
    },
    [send, state.items.length],
  );
  const approve = useCallback(
    (n: NodeView) => send({ type: "approve_task", payload: { node_id: n.id, graph_id: n.graphId } }),
    [send],
  );
  const reject = useCallback(
    (n: NodeView) => send({ type: "reject_task", payload: { node_id: n.id, graph_id: n.graphId } }),
    [send],
  );
  const approveAll = useCallback(() => say("/approve all"), [say]);
  const firstPending = useMemo(
    () => (graph ? graph.order.map((id) => graph.nodes[id]!).find((n) => n.status === "pending") : undefined),
    [graph],
  );
  const target = node ?? firstPending;

  useKeys({
    "/": () => prompt.current?.focus(),
    i: () => prompt.current?.focus(),
    a: () => target?.status === "pending" && approve(target),
    r: () => target?.status === "pending" && reject(target),
    [APPROVE_ALL_KEY]: () => approveAll(),
    x: () => send({ type: "cancel", payload: {} }),
    "+": () => setZoomSignal((z) => ({ n: z.n + 1, factor: 1.25 })),
    "=": () => setZoomSignal((z) => ({ n: z.n + 1, factor: 1.25 })),
    "-": () => setZoomSignal((z) => ({ n: z.n + 1, factor: 0.8 })),
    "0": () => setFitSignal((n) => n + 1),
    "1": () => setTab("graph"),
    "2": () => setTab("logs"),
    "3": () => setTab("files"),
    "4": () => setTab("conversations"),
    f: () => setFollow((f) => !f),
  });

  const connected = link.state === "open";
  const linkProblem =
    link.state === "reconnecting"
      ? "Connection to the session lost. Reconnecting; nothing you already sent is lost."
      : link.state === "failed"
        ? link.message
        : undefined;

  return (
    <section className="session" aria-labelledby="session-title">
      <div className="session-head">
        <h1 id="session-title">
          {server?.name ?? "Session"} <span className="muted">session</span>
        </h1>
        <Link to="/servers" className="muted">
          ← servers
        </Link>
      </div>
      {linkProblem ? (
        <div className="banner offline" role="alert" data-testid="offline-banner">
          <span aria-hidden="true">⚠ </span>
          {linkProblem}
        </div>
      ) : null}
      <div className="session-grid">
        <div className="session-main">
          <Transcript
            state={state}
            localNotes={notes}
            onShowGraph={(id) => {
              setShownGraphId(id);
              setTab("graph");
            }}
            onApproveAll={approveAll}
            onShowArtifact={(id) => {
              setArtifactId(id);
              setTab("files");
            }}
            onAnswer={(answer) => send({ type: "respond_input", payload: answer })}
          />
          <Prompt ref={prompt} serverId={serverId} disabled={!connected} onSubmit={say} />
        </div>
        <div className="session-side">
          <div role="tablist" aria-label="Session panes" className="tabs">
            {TABS.map(([key, label], index) => (
              <button
                key={key}
                type="button"
                role="tab"
                id={`tab-${key}`}
                aria-selected={tab === key}
                aria-controls={`pane-${key}`}
                tabIndex={tab === key ? 0 : -1}
                onClick={() => setTab(key)}
                onKeyDown={(e) => {
                  if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
                  const next =
                    TABS[(index + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length]![0];
                  setTab(next);
                  document.getElementById(`tab-${next}`)?.focus();
                }}
              >
                {label}
                {key === "files" && state.artifacts.length ? ` (${state.artifacts.length})` : ""}
                {key === "logs" && state.logs.length ? ` (${state.logs.length})` : ""} <kbd>{index + 1}</kbd>
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`pane-${tab}`} aria-labelledby={`tab-${tab}`} className="pane">
            {tab === "graph" ? (
              graph ? (
                <>
                  <GraphView
                    graph={graph}
                    selectedId={selected}
                    onSelect={setSelected}
                    fitSignal={fitSignal}
                    zoomSignal={zoomSignal}
                  />
                  <div className="graph-actions">
                    <button
                      type="button"
                      className="small"
                      onClick={approveAll}
                      disabled={!firstPending || !connected}
                    >
                      Approve all <kbd>A</kbd>
                    </button>
                    <button
                      type="button"
                      className="small"
                      onClick={() => send({ type: "cancel", payload: {} })}
                    >
                      Cancel run <kbd>x</kbd>
                    </button>
                  </div>
                  {node ? (
                    <NodeDetail node={node} onApprove={approve} onReject={reject} />
                  ) : (
                    <p className="muted pane-empty">
                      Select a node (click, or Tab then arrow keys) to see its details.
                    </p>
                  )}
                </>
              ) : (
                <p className="muted pane-empty">No plan yet. Ask for something, or try /call or /graph.</p>
              )
            ) : null}
            {tab === "logs" ? (
              <LogPane
                logs={state.logs}
                minLevel={minLevel}
                onMinLevel={setMinLevel}
                follow={follow}
                onFollow={setFollow}
              />
            ) : null}
            {tab === "files" ? (
              <Artifacts artifacts={state.artifacts} selectedId={artifactId} onSelect={setArtifactId} />
            ) : null}
            {tab === "conversations" ? (
              <Conversations
                serverId={serverId}
                activeId={state.sessionId ?? chosenSession}
                refreshKey={state.sessionId}
                onOpen={(id) => navigate(`/servers/${serverId}/session?session=${encodeURIComponent(id)}`)}
                onNew={() => say("/new")}
              />
            ) : null}
          </div>
        </div>
      </div>
      <StatusBar link={link} status={state.status} onRetry={retryNow} />
    </section>
  );
}
