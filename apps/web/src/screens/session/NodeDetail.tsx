import { clockTime } from "../../ui/time.js";
import { STATUS_LOOK } from "./GraphView.js";
import type { NodeView } from "./session-state.js";

function duration(node: NodeView): string | undefined {
  if (!node.started_at) return undefined;
  const end = node.finished_at ? Date.parse(node.finished_at) : Date.now();
  const ms = end - Date.parse(node.started_at);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Everything about one node: what it calls with what, what came back, when, and what the tool says of itself. */
export function NodeDetail(props: {
  node: NodeView;
  onApprove(node: NodeView): void;
  onReject(node: NodeView): void;
}) {
  const { node } = props;
  const look = STATUS_LOOK[node.status];
  const a = node.annotations;
  const destructive = a?.destructive === true;
  const open = node.status === "pending";
  return (
    <section className="node-detail" aria-labelledby="node-detail-title" data-testid="node-detail">
      <h3 id="node-detail-title">
        {node.title || node.id} <span className="muted">#{node.id}</span>
      </h3>
      {destructive ? (
        <p className="destructive-flag" role="note">
          <span aria-hidden="true">⚠ </span>Destructive tool: it may delete or overwrite data. Approve it on
          its own.
        </p>
      ) : null}
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd className={`node-status-text status-${node.status}`}>
            <span aria-hidden="true">{look.glyph} </span>
            {look.label}
            {node.progress
              ? ` — ${node.progress.current}${node.progress.total ? ` of ${node.progress.total}` : ""}`
              : ""}
          </dd>
        </div>
        <div>
          <dt>Tool</dt>
          <dd>
            <code>{node.tool}</code>
          </dd>
        </div>
        {node.depends_on?.length ? (
          <div>
            <dt>After</dt>
            <dd>{node.depends_on.join(", ")}</dd>
          </div>
        ) : null}
        {node.started_at ? (
          <div>
            <dt>Timings</dt>
            <dd>
              started {clockTime(node.started_at)}
              {node.finished_at ? `, finished ${clockTime(node.finished_at)}` : ""} ({duration(node)})
            </dd>
          </div>
        ) : null}
        {a ? (
          <div>
            <dt>Annotations</dt>
            <dd>
              {[
                a.read_only ? "read-only" : "writes",
                a.destructive ? "DESTRUCTIVE" : "not destructive",
                a.idempotent ? "idempotent" : "not idempotent",
                a.open_world ? "open world" : "closed world",
              ].join(" · ")}
            </dd>
          </div>
        ) : null}
      </dl>
      {node.content ? <p className="node-content">{node.content}</p> : null}
      <h4>Arguments</h4>
      <pre className="code">{JSON.stringify(node.arguments, null, 2)}</pre>
      {node.result_preview ? (
        <>
          <h4>Result</h4>
          <pre className="code" data-testid="result-preview">
            {node.result_preview}
          </pre>
        </>
      ) : null}
      {node.error ? (
        <>
          <h4>Error</h4>
          <pre className="code error-text">{node.error}</pre>
        </>
      ) : null}
      {open ? (
        <div className="actions">
          <button type="button" className="primary" onClick={() => props.onApprove(node)}>
            Approve <kbd>a</kbd>
          </button>
          <button type="button" onClick={() => props.onReject(node)}>
            Reject <kbd>r</kbd>
          </button>
        </div>
      ) : null}
    </section>
  );
}
