import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { type ApiError, apiErrorOf } from "../api/errors.js";
import { useTRPC } from "../api/trpc.js";
import { useAuth } from "../auth/auth-context.js";

/** The signed-in person: username (editable), email, sign out. */
export function Profile() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { tokens } = useAuth();
  const profile = useQuery(trpc.user.profile.queryOptions());
  const [username, setUsername] = useState<string>();
  const [failure, setFailure] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  const id = useId();
  const update = useMutation(
    trpc.user.updateProfile.mutationOptions({
      onSuccess: (user) => {
        queryClient.setQueryData(trpc.user.profile.queryKey(), user);
        setUsername(undefined);
        setSaved(true);
      },
      onError: (error) => setFailure(apiErrorOf(error)),
    }),
  );
  if (!profile.data) return <p role="status">Loading…</p>;
  const value = username ?? profile.data.username;
  const issue =
    failure?.code === "USERNAME_TAKEN"
      ? failure.message
      : failure?.issues?.find((i) => i.path === "username")?.message;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    setSaved(false);
    update.mutate({ username: value });
  };
  return (
    <section className="screen narrow" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>Profile</h1>
      <dl className="facts">
        <div>
          <dt>Email</dt>
          <dd>{profile.data.email}</dd>
        </div>
        <div>
          <dt>Member since</dt>
          <dd>{new Date(profile.data.created_at).toLocaleDateString()}</dd>
        </div>
      </dl>
      <form onSubmit={submit} className="form">
        <label htmlFor={`${id}-username`}>Username</label>
        <input
          id={`${id}-username`}
          name="username"
          value={value}
          autoComplete="username"
          onChange={(e) => {
            setUsername(e.target.value);
            setSaved(false);
          }}
          aria-invalid={issue ? true : undefined}
          aria-describedby={`${id}-hint${issue ? ` ${id}-issue` : ""}`}
        />
        <p id={`${id}-hint`} className="hint">
          3–32 characters of a–z, 0–9, _ or -.
        </p>
        {issue ? (
          <p id={`${id}-issue`} className="field-error" role="alert">
            {issue}
          </p>
        ) : failure ? (
          <p className="error" role="alert">
            {failure.message}
          </p>
        ) : null}
        {saved ? (
          <p className="success" role="status">
            <span aria-hidden="true">✓ </span>Saved.
          </p>
        ) : null}
        <div className="actions">
          <button
            type="submit"
            className="primary"
            disabled={update.isPending || value === profile.data.username}
          >
            {update.isPending ? "Saving…" : "Save username"}
          </button>
        </div>
      </form>
      <h2>Sign out</h2>
      <p>Ends this sign-in on this browser (every tab).</p>
      <button type="button" onClick={() => void tokens.signOut()}>
        Sign out
      </button>
    </section>
  );
}
