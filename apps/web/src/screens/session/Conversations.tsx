import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPC } from "../../api/trpc.js";
import { clockTime } from "../../ui/time.js";

/** This server's conversations, newest first; one is current, `/new` starts another. */
export function Conversations(props: {
  serverId: string;
  activeId: string | undefined;
  refreshKey: string | undefined;
  onOpen(sessionId: string): void;
  onNew(): void;
}) {
  const trpc = useTRPC();
  const list = useQuery(trpc.sessions.list.queryOptions({ server_id: props.serverId }));
  const { refetch } = list;
  // Read again when the conversation changes (a /new here or in another tab).
  useEffect(() => {
    if (props.refreshKey) void refetch();
  }, [props.refreshKey, refetch]);
  return (
    <section className="conversations" aria-label="Conversations">
      <div className="pane-tools">
        <button type="button" className="small" onClick={props.onNew}>
          New conversation (/new)
        </button>
        <button type="button" className="small ghost" onClick={() => void list.refetch()}>
          Refresh
        </button>
      </div>
      {list.isPending ? <p role="status">Loading…</p> : null}
      <ul className="conversation-list">
        {list.data?.sessions.map((s) => (
          <li key={s.id}>
            <button
              type="button"
              className="link"
              aria-current={s.id === props.activeId ? "true" : undefined}
              onClick={() => props.onOpen(s.id)}
            >
              {s.title || "Untitled"}
            </button>{" "}
            <span className="muted">
              {new Date(s.updated_at).toLocaleDateString()} {clockTime(s.updated_at)}
              {s.current ? " · current" : ""}
              {s.id === props.activeId ? " · open" : ""}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
