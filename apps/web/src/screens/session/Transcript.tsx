import { useEffect, useRef } from "react";
import { bytes, clockTime } from "../../ui/time.js";
import { InputRequestCard } from "./InputRequestCard.js";
import type { SessionState, TranscriptItem } from "./session-state.js";

const SENDER_LABEL = { USER: "you", AGENT: "agent", SYSTEM: "system" } as const;

/** The conversation: USER, AGENT and SYSTEM lines (labelled, not just coloured), graphs, requests, files. */
export function Transcript(props: {
  state: SessionState;
  localNotes: Array<{ key: string; after: number; node: React.ReactNode }>;
  onShowGraph(graphId: string): void;
  onApproveAll(): void;
  onShowArtifact(artifactId: string): void;
  onAnswer(answer: {
    request_id: string;
    action: "accept" | "decline" | "cancel";
    content?: Record<string, unknown>;
  }): boolean;
}) {
  const { state } = props;
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const count = state.items.length + props.localNotes.length;
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the newest line when items arrive.
  useEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [count, state.items]);

  const render = (item: TranscriptItem) => {
    switch (item.kind) {
      case "message":
        return (
          <div key={item.key} className={`line sender-${item.sender}`} data-sender={item.sender}>
            <span className="who">{SENDER_LABEL[item.sender]}</span>
            <span className="when">{clockTime(item.timestamp)}</span>
            <div className="text">
              {item.text}
              {item.streaming ? (
                <>
                  <span className="cursor" aria-hidden="true" />
                  <span className="sr-only"> (writing…)</span>
                </>
              ) : null}
            </div>
          </div>
        );
      case "error":
        return (
          <div key={item.key} className="line sender-ERROR" role="alert">
            <span className="who">error</span>
            <span className="when" />
            <div className="text">
              {item.code}: {item.message}
            </div>
          </div>
        );
      case "graph": {
        const graph = state.graphs[item.graphId];
        if (!graph) return null;
        const nodes = graph.order.map((id) => graph.nodes[id]!);
        const pending = nodes.filter((n) => n.status === "pending").length;
        const done = nodes.filter((n) => n.status === "succeeded").length;
        return (
          <div key={item.key} className="line sender-AGENT graph-line">
            <span className="who">plan</span>
            <span className="when" />
            <div className="text">
              Task graph of {nodes.length} node{nodes.length === 1 ? "" : "s"}:{" "}
              {nodes.map((n) => n.id).join(" → ")}{" "}
              <span className="muted">
                ({done} done{pending ? `, ${pending} awaiting approval` : ""})
              </span>
              <div className="actions">
                <button type="button" className="small" onClick={() => props.onShowGraph(graph.id)}>
                  Show graph
                </button>
                {pending > 0 ? (
                  <button type="button" className="small" onClick={props.onApproveAll}>
                    Approve all <kbd>A</kbd>
                  </button>
                ) : null}
              </div>
            </div>
          </div>
        );
      }
      case "input": {
        const input = state.inputs[item.requestId];
        if (!input) return null;
        return (
          <div key={item.key} className="line sender-SYSTEM">
            <span className="who">input</span>
            <span className="when" />
            <div className="text">
              <InputRequestCard request={input.request} outcome={input.outcome} onAnswer={props.onAnswer} />
            </div>
          </div>
        );
      }
      case "artifact": {
        const artifact = state.artifacts.find((a) => a.artifact_id === item.artifactId);
        if (!artifact) return null;
        return (
          <div key={item.key} className="line sender-SYSTEM">
            <span className="who">file</span>
            <span className="when" />
            <div className="text">
              <button
                type="button"
                className="link"
                onClick={() => props.onShowArtifact(artifact.artifact_id)}
              >
                {artifact.name}
              </button>{" "}
              <span className="muted">
                {artifact.content_type}, {bytes(artifact.size)}
                {artifact.node_id ? `, from ${artifact.node_id}` : ""}
              </span>
            </div>
          </div>
        );
      }
    }
  };

  const rows: React.ReactNode[] = [];
  state.items.forEach((item, index) => {
    rows.push(render(item));
    for (const note of props.localNotes)
      if (note.after === index) rows.push(<div key={note.key}>{note.node}</div>);
  });
  for (const note of props.localNotes)
    if (note.after >= state.items.length) rows.push(<div key={note.key}>{note.node}</div>);

  return (
    <div
      ref={box}
      className="transcript"
      role="log"
      aria-label="Conversation"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {state.items.length === 0 && props.localNotes.length === 0 ? (
        <p className="muted">
          Type <code>/tools</code> to see what this server can do, ask for something in plain words, or{" "}
          <code>/help</code>.
        </p>
      ) : null}
      {rows}
    </div>
  );
}
