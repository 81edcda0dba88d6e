import type { ServerStatusEvent } from "@mcpdeck/contracts";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import { apiErrorOf } from "../api/errors.js";
import { type RouterOutputs, useTRPC, useTRPCClient } from "../api/trpc.js";
import { Link, navigate, useLocation } from "../router.js";
import { ConfirmDialog } from "../ui/ConfirmDialog.js";
import { StatusBadge } from "../ui/StatusBadge.js";
import { KEY, useKeys } from "../ui/shortcuts.js";
import { ago } from "../ui/time.js";
import { useNow } from "../ui/use-now.js";

type Server = RouterOutputs["servers"]["list"]["servers"][number];

/** The person's MCP servers with live status; each row opens its session. */
export function Servers() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const { query } = useLocation();
  const now = useNow();
  const [statuses, setStatuses] = useState<Record<string, ServerStatusEvent>>({});
  const [selected, setSelected] = useState(0);
  const [deleting, setDeleting] = useState<Server>();
  const [notice, setNotice] = useState<{ text: string; error?: boolean }>();
  const rows = useRef<Array<HTMLAnchorElement | null>>([]);

  const list = useInfiniteQuery(
    trpc.servers.list.infiniteQueryOptions({ limit: 100 }, { getNextPageParam: (page) => page.next }),
  );
  const servers = list.data?.pages.flatMap((page) => page.servers) ?? [];

  // Live status: every server's now, then each change, pushed by the API.
  useSubscription(
    trpc.servers.statusEvents.subscriptionOptions(undefined, {
      onData: (event) => setStatuses((all) => ({ ...all, [event.server_id]: event })),
    }),
  );

  useEffect(() => {
    const oauth = query.get("oauth");
    // Said once the list is here, so the notice can name the server.
    if (!oauth || !list.data) return;
    const name = servers.find((s) => s.id === query.get("server_id"))?.name ?? "the server";
    setNotice(
      oauth === "success"
        ? { text: `Authorized: mcpdeck can now use ${name}.` }
        : { text: `Authorization of ${name} failed: ${query.get("message") ?? "try again."}`, error: true },
    );
    navigate("/servers", { replace: true });
  }, [query, servers, list.data]);

  const remove = useMutation(
    trpc.servers.delete.mutationOptions({
      onSuccess: (_data, input) => {
        const name = servers.find((s) => s.id === input.server_id)?.name;
        setDeleting(undefined);
        setNotice({ text: `Deleted ${name ?? "the server"}.` });
        void queryClient.invalidateQueries({ queryKey: trpc.servers.list.pathKey() });
      },
      onError: (error) => setNotice({ text: apiErrorOf(error).message, error: true }),
    }),
  );
  const authorize = useMutation(
    trpc.servers.oauthStart.mutationOptions({
      onSuccess: ({ authorization_url }) => window.location.assign(authorization_url),
      onError: (error) => setNotice({ text: apiErrorOf(error).message, error: true }),
    }),
  );

  async function checkNow(server: Server) {
    setNotice({ text: `Checking ${server.name}…` });
    try {
      // The button asks for a probe now: the stored check may predate the fix being checked.
      const status = await client.servers.status.query({ server_id: server.id, refresh: true });
      setStatuses((all) => ({ ...all, [server.id]: { ...status, server_id: server.id } }));
      setNotice({
        text: `${server.name} is ${status.status}${status.latency !== undefined ? ` (${status.latency} ms)` : ""}${status.reason ? `: ${status.reason}` : ""}.`,
        error: status.status !== "online",
      });
    } catch (error) {
      setNotice({ text: apiErrorOf(error).message, error: true });
    }
  }

  const focusRow = (index: number) => {
    const bounded = Math.max(0, Math.min(servers.length - 1, index));
    setSelected(bounded);
    rows.current[bounded]?.focus();
  };
  const current = servers[selected];
  useKeys({
    j: () => focusRow(selected + 1),
    [KEY.down]: () => focusRow(selected + 1),
    k: () => focusRow(selected - 1),
    [KEY.up]: () => focusRow(selected - 1),
    n: () => navigate("/servers/new"),
    e: () => current && navigate(`/servers/${current.id}/edit`),
    t: () => current && void checkNow(current),
    [KEY.delete]: () => current && setDeleting(current),
  });

  return (
    <section aria-labelledby="servers-title" className="screen">
      <div className="screen-head">
        <h1 id="servers-title">Servers</h1>
        <Link to="/servers/new" className="button">
          Add server <kbd>n</kbd>
        </Link>
      </div>
      {query.get("welcome") ? (
        <p className="notice" role="status">
          Welcome to mcpdeck. Your demo server is ready: open its session and type <code>/tools</code>, or ask
          for something in plain words.
        </p>
      ) : null}
      {notice ? (
        <p className={notice.error ? "error" : "notice"} role={notice.error ? "alert" : "status"}>
          {notice.text}
        </p>
      ) : null}
      {list.isPending ? <p role="status">Loading servers…</p> : null}
      {list.error ? (
        <p className="error" role="alert">
          {apiErrorOf(list.error).message}
        </p>
      ) : null}
      {list.data && servers.length === 0 ? (
        <p>
          No servers yet. <Link to="/servers/new">Add one</Link>.
        </p>
      ) : null}
      {servers.length > 0 ? (
        <div className="table-wrap">
          <table className="servers">
            <caption className="sr-only">Your MCP servers and their status</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Name</th>
                <th scope="col">Latency</th>
                <th scope="col">Last checked</th>
                <th scope="col">Auth</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {servers.map((server, index) => {
                const live = statuses[server.id];
                const status = live?.status ?? server.status;
                return (
                  <tr
                    key={server.id}
                    className={index === selected ? "selected" : undefined}
                    data-testid={`server-${server.name}`}
                    onFocus={() => setSelected(index)}
                  >
                    <td>
                      <StatusBadge status={status} detail={live?.reason} />
                    </td>
                    <td>
                      <Link
                        to={`/servers/${server.id}/session`}
                        ref={(el: HTMLAnchorElement | null) => {
                          rows.current[index] = el;
                        }}
                        aria-label={`Open the session with ${server.name}`}
                      >
                        {server.name}
                      </Link>
                      <div className="muted url">{server.url}</div>
                    </td>
                    <td>{live?.latency !== undefined ? `${live.latency} ms` : "—"}</td>
                    <td>
                      <span title={live?.last_checked}>{live ? ago(live.last_checked, now) : "—"}</span>
                    </td>
                    <td>{server.auth_method === "api_key" ? "API key" : server.auth_method}</td>
                    <td>
                      <div className="actions-cell">
                        <Link to={`/servers/${server.id}/edit`} className="button small">
                          Edit<span className="sr-only"> {server.name}</span>
                        </Link>
                        <button type="button" className="small" onClick={() => void checkNow(server)}>
                          Check<span className="sr-only"> {server.name}</span>
                        </button>
                        {server.auth_method === "oauth" ? (
                          <button
                            type="button"
                            className="small"
                            onClick={() => authorize.mutate({ server_id: server.id })}
                            disabled={authorize.isPending}
                          >
                            Authorize<span className="sr-only"> {server.name}</span>
                          </button>
                        ) : null}
                        <button type="button" className="small danger" onClick={() => setDeleting(server)}>
                          Delete<span className="sr-only"> {server.name}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.hasNextPage ? (
        <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          More servers
        </button>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirm="Delete"
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ server_id: deleting.id })}
          onCancel={() => setDeleting(undefined)}
        >
          <p>Its credentials and conversations are deleted with it. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
