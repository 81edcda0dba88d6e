import { useSecondsLeft } from "../../ui/use-now.js";
import type { ConnectionStatus } from "./session-state.js";
import type { Link } from "./use-session-stream.js";

/** The session's state at a glance, in words: connection, server, latency, model, memory. */
export function StatusBar(props: { link: Link; status: ConnectionStatus | undefined; onRetry(): void }) {
  const { link, status } = props;
  const retryIn = useSecondsLeft(link.state === "reconnecting" ? link.at : undefined);
  const connection =
    link.state === "open"
      ? "● connected"
      : link.state === "connecting"
        ? "… connecting"
        : link.state === "reconnecting"
          ? `○ reconnecting${retryIn > 0 ? ` in ${retryIn} s` : "…"}`
          : "✕ not connected";
  const memory = status?.memory;
  return (
    <section className="statusbar" aria-label="Session status">
      <span className={`sb-link link-${link.state}`} data-testid="link-state">
        {connection}
      </span>
      {status ? (
        <>
          <span>
            server{" "}
            <span className={`status-${status.status}`}>
              {status.status === "online" ? "● online" : "○ offline"}
            </span>
          </span>
          <span>latency {status.latency === null ? "—" : `${status.latency} ms`}</span>
          <span>model {status.model}</span>
          {memory && memory.total > 0 ? (
            <span title="Conversation context used, of the model's budget (tokens)">
              memory {memory.used.toLocaleString()}/{memory.total.toLocaleString()}
              <meter min={0} max={memory.total} value={memory.used} aria-label="Context used" />
            </span>
          ) : memory ? (
            <span title="Conversation context in tokens (the built-in planner has no budget)">
              memory {memory.used.toLocaleString()} tokens
            </span>
          ) : null}
        </>
      ) : null}
      {link.state === "reconnecting" ? (
        <button type="button" className="small" onClick={props.onRetry}>
          Retry now
        </button>
      ) : null}
    </section>
  );
}
