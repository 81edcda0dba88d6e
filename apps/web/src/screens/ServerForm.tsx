import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { type ApiError, apiErrorOf } from "../api/errors.js";
import { type RouterInputs, useTRPC } from "../api/trpc.js";
import { Link, navigate } from "../router.js";

type AuthMethod = "none" | "api_key" | "oauth";
type Create = RouterInputs["servers"]["create"];

interface Fields {
  name: string;
  url: string;
  auth_method: AuthMethod;
  api_key: string;
  header: string;
  client_id: string;
  client_secret: string;
  scope: string;
  timeout: string;
  ssl_verify: boolean;
}

const EMPTY: Fields = {
  name: "",
  url: "",
  auth_method: "none",
  api_key: "",
  header: "Authorization",
  client_id: "",
  client_secret: "",
  scope: "",
  timeout: "30",
  ssl_verify: true,
};

/** The credentials typed for the chosen method; undefined when none were typed (keep the stored ones). */
function typedCredentials(f: Fields) {
  if (f.auth_method === "api_key") {
    if (!f.api_key) return undefined;
    return { api_key: f.api_key, header: f.header.trim() || "Authorization" };
  }
  if (f.auth_method === "oauth") {
    const oauth = {
      ...(f.client_id.trim() ? { client_id: f.client_id.trim() } : {}),
      ...(f.client_secret ? { client_secret: f.client_secret } : {}),
      ...(f.scope.trim() ? { scope: f.scope.trim() } : {}),
    };
    return Object.keys(oauth).length > 0 ? oauth : undefined;
  }
  return undefined;
}

function connectionInput(f: Fields) {
  const credentials = typedCredentials(f);
  return {
    url: f.url.trim(),
    timeout: Number(f.timeout),
    ssl_verify: f.ssl_verify,
    auth_method: f.auth_method,
    ...(credentials ? { credentials } : {}),
  } as Omit<Create, "name">;
}

/** Add a server, or edit one; credentials are write-only: typed here, never shown again. */
export function ServerForm({ serverId }: { serverId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery({ ...trpc.servers.list.queryOptions({ limit: 100 }), enabled: Boolean(serverId) });
  const existing = serverId ? list.data?.servers.find((s) => s.id === serverId) : undefined;
  const [fields, setFields] = useState<Fields>();
  const [failure, setFailure] = useState<ApiError>();
  const [tested, setTested] = useState<{ ok: boolean; text: string }>();
  const id = useId();

  const form: Fields =
    fields ??
    (existing
      ? {
          ...EMPTY,
          name: existing.name,
          url: existing.url,
          auth_method: existing.auth_method,
          timeout: String(existing.timeout),
          ssl_verify: existing.ssl_verify,
        }
      : EMPTY);
  const set = (change: Partial<Fields>) => {
    setFields({ ...form, ...change });
    setTested(undefined);
  };

  const done = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.servers.list.pathKey() });
    navigate("/servers");
  };
  const create = useMutation(
    trpc.servers.create.mutationOptions({ onSuccess: done, onError: (e) => setFailure(apiErrorOf(e)) }),
  );
  const update = useMutation(
    trpc.servers.update.mutationOptions({ onSuccess: done, onError: (e) => setFailure(apiErrorOf(e)) }),
  );
  const test = useMutation(
    trpc.servers.test.mutationOptions({
      onSuccess: (result) => setTested({ ok: true, text: result.message }),
      onError: (error) => {
        const shaped = apiErrorOf(error);
        setTested({ ok: false, text: `${shaped.message}${shaped.reason ? ` (${shaped.reason})` : ""}` });
      },
    }),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const input = { name: form.name.trim(), ...connectionInput(form) };
    if (!existing) {
      create.mutate(input as Create);
      return;
    }
    const credentials = typedCredentials(form);
    update.mutate({
      server_id: existing.id,
      name: input.name,
      url: input.url,
      timeout: input.timeout,
      ssl_verify: input.ssl_verify,
      ...(form.auth_method !== existing.auth_method ? { auth_method: form.auth_method } : {}),
      ...(credentials
        ? { credentials }
        : form.auth_method === "none" && existing.has_credentials
          ? { credentials: null }
          : {}),
    });
  };

  const issueFor = (field: string) =>
    failure?.issues?.find(
      (i) => i.path === field || i.path.endsWith(`.${field}`) || i.path.startsWith(`${field}.`),
    )?.message ?? (field === "name" && failure?.code === "SERVER_NAME_TAKEN" ? failure.message : undefined);
  const fieldProps = (field: keyof Fields) => {
    const issue = issueFor(field);
    return {
      id: `${id}-${field}`,
      name: field,
      "aria-invalid": issue ? true : undefined,
      "aria-describedby": issue ? `${id}-${field}-issue` : undefined,
    };
  };
  const issueLine = (field: string) => {
    const issue = issueFor(field);
    return issue ? (
      <p id={`${id}-${field}-issue`} className="field-error">
        {issue}
      </p>
    ) : null;
  };
  const stored = existing?.has_credentials && form.auth_method === existing.auth_method;
  const busy = create.isPending || update.isPending;

  if (serverId && list.isPending) return <p role="status">Loading…</p>;
  if (serverId && !existing) {
    return (
      <p className="error" role="alert">
        That server does not exist. <Link to="/servers">Back to servers</Link>
      </p>
    );
  }
  return (
    <section className="screen narrow" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{existing ? `Edit ${existing.name}` : "Add a server"}</h1>
      <form onSubmit={submit} className="form">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          {...fieldProps("name")}
          required
          value={form.name}
          onChange={(e) => set({ name: e.target.value })}
        />
        {issueLine("name")}

        <label htmlFor={`${id}-url`}>URL</label>
        <input
          {...fieldProps("url")}
          type="url"
          required
          placeholder="https://mcp.example.com/mcp"
          value={form.url}
          onChange={(e) => set({ url: e.target.value })}
        />
        {issueLine("url")}

        <fieldset>
          <legend>Authentication</legend>
          {(["none", "api_key", "oauth"] as const).map((method) => (
            <label key={method} className="inline">
              <input
                type="radio"
                name="auth_method"
                value={method}
                checked={form.auth_method === method}
                onChange={() => set({ auth_method: method })}
              />{" "}
              {method === "none" ? "None" : method === "api_key" ? "API key" : "OAuth"}
            </label>
          ))}
        </fieldset>

        {form.auth_method === "api_key" ? (
          <fieldset>
            <legend>API key</legend>
            <label htmlFor={`${id}-api_key`}>Key</label>
            <input
              {...fieldProps("api_key")}
              type="password"
              autoComplete="off"
              required={!stored}
              placeholder={stored ? "stored — type a new key to replace it" : ""}
              value={form.api_key}
              onChange={(e) => set({ api_key: e.target.value })}
            />
            {issueLine("api_key")}
            <label htmlFor={`${id}-header`}>Header</label>
            <input
              {...fieldProps("header")}
              value={form.header}
              onChange={(e) => set({ header: e.target.value })}
            />
            <p className="hint">
              With <code>Authorization</code> the key is sent as <code>Bearer &lt;key&gt;</code>; any other
              header carries it as is.
            </p>
          </fieldset>
        ) : null}

        {form.auth_method === "oauth" ? (
          <fieldset>
            <legend>OAuth client (optional)</legend>
            <p className="hint">
              Leave the client id empty to register mcpdeck with the server automatically.
              {stored ? " Stored settings are kept unless you type new ones." : ""}
            </p>
            <label htmlFor={`${id}-client_id`}>Client id</label>
            <input
              {...fieldProps("client_id")}
              value={form.client_id}
              onChange={(e) => set({ client_id: e.target.value })}
            />
            {issueLine("client_id")}
            <label htmlFor={`${id}-client_secret`}>Client secret</label>
            <input
              {...fieldProps("client_secret")}
              type="password"
              autoComplete="off"
              value={form.client_secret}
              onChange={(e) => set({ client_secret: e.target.value })}
            />
            <label htmlFor={`${id}-scope`}>Scope</label>
            <input
              {...fieldProps("scope")}
              value={form.scope}
              onChange={(e) => set({ scope: e.target.value })}
            />
          </fieldset>
        ) : null}

        <label htmlFor={`${id}-timeout`}>Timeout (seconds)</label>
        <input
          {...fieldProps("timeout")}
          type="number"
          min={1}
          max={300}
          value={form.timeout}
          onChange={(e) => set({ timeout: e.target.value })}
        />
        {issueLine("timeout")}
        <label className="inline">
          <input
            type="checkbox"
            checked={form.ssl_verify}
            onChange={(e) => set({ ssl_verify: e.target.checked })}
          />{" "}
          Verify TLS certificates
        </label>

        {failure && !failure.issues?.length && failure.code !== "SERVER_NAME_TAKEN" ? (
          <p className="error" role="alert">
            {failure.message}
          </p>
        ) : failure ? (
          <p className="sr-only" role="alert">
            {failure.message}
          </p>
        ) : null}
        {tested ? (
          <p className={tested.ok ? "success" : "error"} role="status" data-testid="test-result">
            <span aria-hidden="true">{tested.ok ? "✓ " : "✕ "}</span>
            {tested.ok ? "Connection works: " : "Connection failed: "}
            {tested.text}
          </p>
        ) : null}
        <div className="actions">
          <button
            type="button"
            onClick={() => {
              setTested(undefined);
              test.mutate(connectionInput(form) as RouterInputs["servers"]["test"]);
            }}
            disabled={test.isPending || !form.url}
          >
            {test.isPending ? "Testing…" : "Test connection"}
          </button>
          <span className="spacer" />
          <Link to="/servers" className="button ghost">
            Cancel
          </Link>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : existing ? "Save" : "Add server"}
          </button>
        </div>
      </form>
    </section>
  );
}
