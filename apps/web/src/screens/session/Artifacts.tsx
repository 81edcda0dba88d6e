import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { apiErrorOf } from "../../api/errors.js";
import { useTRPC, useTRPCClient } from "../../api/trpc.js";
import { bytes } from "../../ui/time.js";
import type { Artifact } from "./session-state.js";

const previewKind = (type: string) =>
  /^image\/(png|jpeg|gif|webp)/.test(type)
    ? "image"
    : type.startsWith("application/pdf")
      ? "pdf"
      : /^(text\/|application\/json)/.test(type)
        ? "text"
        : /^audio\//.test(type)
          ? "audio"
          : undefined;

/** Files the tools produced: download any, preview images, text, audio and PDF in place. */
export function Artifacts(props: {
  artifacts: readonly Artifact[];
  selectedId: string | undefined;
  onSelect(id: string): void;
}) {
  const client = useTRPCClient();
  const id = useId();
  const selected = props.artifacts.find((a) => a.artifact_id === props.selectedId);

  async function download(artifact: Artifact) {
    const { url } = await client.artifacts.link.query({ artifact_id: artifact.artifact_id });
    // The signed link answers with Content-Disposition: attachment, so the page stays.
    const a = document.createElement("a");
    a.href = url;
    a.download = artifact.name;
    document.body.append(a);
    a.click();
    a.remove();
  }

  if (props.artifacts.length === 0) return <p className="muted pane-empty">No files yet.</p>;
  return (
    <section className="artifacts" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="sr-only">
        Files
      </h3>
      <ul className="artifact-list">
        {props.artifacts.map((artifact) => (
          <li
            key={artifact.artifact_id}
            className={artifact.artifact_id === props.selectedId ? "selected" : undefined}
          >
            <button
              type="button"
              className="link"
              aria-pressed={artifact.artifact_id === props.selectedId}
              onClick={() => props.onSelect(artifact.artifact_id)}
            >
              {artifact.name}
            </button>{" "}
            <span className="muted">
              {artifact.content_type}, {bytes(artifact.size)}
            </span>{" "}
            <button type="button" className="small" onClick={() => void download(artifact)}>
              Download<span className="sr-only"> {artifact.name}</span>
            </button>
          </li>
        ))}
      </ul>
      {selected ? <Preview key={selected.artifact_id} artifact={selected} /> : null}
    </section>
  );
}

function Preview({ artifact }: { artifact: Artifact }) {
  const trpc = useTRPC();
  const kind = previewKind(artifact.content_type);
  const link = useQuery({
    ...trpc.artifacts.link.queryOptions({ artifact_id: artifact.artifact_id }),
    enabled: kind !== undefined,
    staleTime: 60_000,
  });
  const inline = link.data ? `${link.data.url}&disposition=inline` : undefined;
  const text = useQuery({
    queryKey: ["artifact-text", artifact.artifact_id],
    enabled: kind === "text" && inline !== undefined,
    queryFn: async () => {
      const res = await fetch(inline!);
      const body = await res.text();
      return body.length > 200_000 ? `${body.slice(0, 200_000)}\n… (download for the rest)` : body;
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!kind) return <p className="muted">No preview for {artifact.content_type}: download it.</p>;
  if (link.error) return <p className="error">{apiErrorOf(link.error).message}</p>;
  if (!inline) return <p role="status">Loading preview…</p>;
  return (
    <figure className="preview" data-testid="artifact-preview">
      {kind === "image" ? <img src={inline} alt={`Preview of ${artifact.name}`} /> : null}
      {kind === "audio" ? (
        // biome-ignore lint/a11y/useMediaCaption: generated audio has no captions to offer.
        <audio src={inline} controls aria-label={`Play ${artifact.name}`} />
      ) : null}
      {kind === "pdf" ? <iframe src={inline} title={`Preview of ${artifact.name}`} /> : null}
      {kind === "text" ? <pre className="code">{text.data ?? "Loading…"}</pre> : null}
      <figcaption className="muted">{artifact.name}</figcaption>
    </figure>
  );
}
