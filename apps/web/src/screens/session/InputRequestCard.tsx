import { type FormEvent, useId, useState } from "react";
import { answerOf, fieldIssue, fieldsOf, initialValues } from "./schema-form.js";
import type { InputOutcome, InputRequest } from "./session-state.js";

type Answer = {
  request_id: string;
  action: "accept" | "decline" | "cancel";
  content?: Record<string, unknown>;
};

const OUTCOME_TEXT: Record<InputOutcome, string> = {
  accept: "answered",
  decline: "declined",
  cancel: "cancelled",
  expired: "expired unanswered",
};

/**
 * A server asking the person for something mid-call, answered where it appears: a form built from
 * its JSON schema (checked as typed), a URL shown whole with an explicit consent to open it, or a
 * sampling request to approve.
 */
export function InputRequestCard(props: {
  request: InputRequest;
  outcome: InputOutcome | undefined;
  onAnswer(answer: Answer): boolean;
}) {
  const { request, outcome } = props;
  const id = useId();
  const [sent, setSent] = useState(false);
  const answer = (a: Omit<Answer, "request_id">) => {
    if (props.onAnswer({ request_id: request.request_id, ...a })) setSent(true);
  };
  const done = outcome !== undefined;
  return (
    <section
      className={`input-request${done ? " done" : ""}`}
      aria-labelledby={`${id}-title`}
      data-testid="input-request"
    >
      <h3 id={`${id}-title`}>
        <span aria-hidden="true">? </span>
        {request.kind === "form"
          ? "The server asks for details"
          : request.kind === "url"
            ? "The server asks you to open a page"
            : "The server asks to use the model"}
        {request.node_id ? <span className="muted"> — node {request.node_id}</span> : null}
      </h3>
      <p>{request.message}</p>
      {done ? (
        <p className="muted" role="status">
          {OUTCOME_TEXT[outcome]}.
        </p>
      ) : request.kind === "form" ? (
        <SchemaForm request={request} disabled={sent} onAnswer={answer} />
      ) : request.kind === "url" ? (
        <div>
          <p className="url-whole">
            <code>{request.url}</code>
          </p>
          <p className="hint">mcpdeck never opens this address itself. Open it only if you expected it.</p>
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={sent}
              onClick={() => {
                window.open(request.url, "_blank", "noopener,noreferrer");
                answer({ action: "accept" });
              }}
            >
              Open in a new tab
            </button>
            <button type="button" disabled={sent} onClick={() => answer({ action: "decline" })}>
              Decline
            </button>
          </div>
        </div>
      ) : (
        <div>
          {request.system_prompt ? (
            <p>
              <strong>System:</strong> {request.system_prompt}
            </p>
          ) : null}
          <ol className="sampling">
            {request.messages?.map((m, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the messages are a fixed list.
              <li key={i}>
                <strong>{m.role}:</strong> {m.text}
              </li>
            ))}
          </ol>
          {request.max_tokens ? <p className="hint">At most {request.max_tokens} tokens.</p> : null}
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={sent}
              onClick={() => answer({ action: "accept" })}
            >
              Approve
            </button>
            <button type="button" disabled={sent} onClick={() => answer({ action: "decline" })}>
              Decline
            </button>
          </div>
        </div>
      )}
      {request.expires_at && !done ? (
        <p className="hint">Waits until {new Date(request.expires_at).toLocaleTimeString()}.</p>
      ) : null}
    </section>
  );
}

function SchemaForm(props: {
  request: InputRequest;
  disabled: boolean;
  onAnswer(answer: { action: "accept" | "decline" | "cancel"; content?: Record<string, unknown> }): void;
}) {
  const fields = fieldsOf(props.request.schema);
  const [values, setValues] = useState(() => initialValues(fields));
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const id = useId();
  const issues = Object.fromEntries(fields.map((f) => [f.name, fieldIssue(f, values[f.name])]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.values(issues).some(Boolean)) return;
    props.onAnswer({ action: "accept", content: answerOf(fields, values) });
  };
  return (
    <form onSubmit={submit} className="form" noValidate>
      {fields.map((f) => {
        const fid = `${id}-${f.name}`;
        const issue = touched[f.name] || submitted ? issues[f.name] : undefined;
        const common = {
          id: fid,
          name: f.name,
          disabled: props.disabled,
          "aria-invalid": issue ? true : undefined,
          "aria-describedby":
            [f.description ? `${fid}-hint` : "", issue ? `${fid}-issue` : ""].join(" ").trim() || undefined,
          onBlur: () => setTouched((t) => ({ ...t, [f.name]: true })),
        };
        return (
          <div key={f.name} className="field">
            {f.type === "array" ? (
              <fieldset aria-describedby={common["aria-describedby"]}>
                <legend>
                  {f.label}
                  {f.required ? <span aria-hidden="true"> *</span> : null}
                </legend>
                {(f.enumValues ?? []).map((value, i) => {
                  const picked = Array.isArray(values[f.name]) ? (values[f.name] as string[]) : [];
                  return (
                    <label key={value} className="inline">
                      <input
                        type="checkbox"
                        name={f.name}
                        value={value}
                        disabled={props.disabled}
                        checked={picked.includes(value)}
                        onBlur={common.onBlur}
                        onChange={(e) =>
                          setValues((v) => ({
                            ...v,
                            [f.name]: e.target.checked
                              ? [...picked, value]
                              : picked.filter((x) => x !== value),
                          }))
                        }
                      />{" "}
                      {f.enumLabels?.[i] ?? value}
                    </label>
                  );
                })}
              </fieldset>
            ) : f.type === "boolean" ? (
              <label className="inline">
                <input
                  type="checkbox"
                  {...common}
                  checked={values[f.name] === true}
                  onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.checked }))}
                />{" "}
                {f.label}
              </label>
            ) : (
              <>
                <label htmlFor={fid}>
                  {f.label}
                  {f.required ? <span aria-hidden="true"> *</span> : null}
                </label>
                {f.enumValues ? (
                  <select
                    {...common}
                    required={f.required}
                    value={String(values[f.name] ?? "")}
                    onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                  >
                    <option value="">—</option>
                    {f.enumValues.map((value, i) => (
                      <option key={value} value={value}>
                        {f.enumLabels?.[i] ?? value}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    {...common}
                    required={f.required}
                    type={
                      f.type === "string"
                        ? f.format === "email"
                          ? "email"
                          : f.format === "uri"
                            ? "url"
                            : f.format === "date"
                              ? "date"
                              : "text"
                        : "number"
                    }
                    value={String(values[f.name] ?? "")}
                    onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                  />
                )}
              </>
            )}
            {f.description ? (
              <p id={`${fid}-hint`} className="hint">
                {f.description}
              </p>
            ) : null}
            {issue ? (
              <p id={`${fid}-issue`} className="field-error">
                {issue}
              </p>
            ) : null}
          </div>
        );
      })}
      <div className="actions">
        <button type="submit" className="primary" disabled={props.disabled}>
          Send
        </button>
        <button type="button" disabled={props.disabled} onClick={() => props.onAnswer({ action: "decline" })}>
          Decline
        </button>
        <button type="button" disabled={props.disabled} onClick={() => props.onAnswer({ action: "cancel" })}>
          Cancel
        </button>
      </div>
    </form>
  );
}
