/** A status in words with a glyph beside the colour, so it never depends on colour alone. */
const LOOK: Record<string, { glyph: string; label: string }> = {
  online: { glyph: "●", label: "online" },
  offline: { glyph: "○", label: "offline" },
  error: { glyph: "✕", label: "error" },
  unknown: { glyph: "…", label: "checking" },
};

export function StatusBadge({ status, detail }: { status: string | undefined; detail?: string | undefined }) {
  const look = LOOK[status ?? "unknown"] ?? { glyph: "?", label: status ?? "unknown" };
  return (
    <span className={`status status-${status ?? "unknown"}`} title={detail}>
      <span aria-hidden="true">{look.glyph} </span>
      {look.label}
      {detail ? <span className="status-detail"> ({detail})</span> : null}
    </span>
  );
}
