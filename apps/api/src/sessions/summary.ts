import type { GraphOutcome } from "./planner.js";

const size = (n: number) =>
  n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KB`
      : `${(n / 1024 / 1024).toFixed(1)} MB`;

const oneLine = (text: string, max = 160) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/**
 * The engine's own end-of-graph summary: what ran, what failed (and why), what was skipped or not run,
 * and what was produced. Planners with a model may write a better one from the same outcome.
 */
export function digestGraph(outcome: GraphOutcome): string {
  const by = (status: string) => outcome.nodes.filter((n) => n.status === status);
  const succeeded = by("succeeded");
  const failed = by("failed");
  const lines: string[] = [];
  const total = outcome.nodes.length;
  lines.push(
    failed.length === 0 && succeeded.length === total
      ? `Done: all ${total} step${total === 1 ? "" : "s"} succeeded.`
      : `Finished: ${succeeded.length} of ${total} step${total === 1 ? "" : "s"} succeeded.`,
  );
  for (const node of succeeded) {
    lines.push(
      `✓ ${node.title} (${node.tool})${node.resultPreview ? `: ${oneLine(node.resultPreview)}` : ""}`,
    );
  }
  for (const node of failed)
    lines.push(`✗ ${node.title} (${node.tool}) failed: ${oneLine(node.error ?? "no reason given")}`);
  const notRun = (status: string, label: string) => {
    const nodes = by(status);
    if (nodes.length > 0) lines.push(`${label}: ${nodes.map((n) => n.title).join(", ")}`);
  };
  notRun("skipped", "Skipped (a step they needed did not succeed)");
  notRun("rejected", "Rejected");
  notRun("cancelled", "Cancelled");
  if (outcome.artifacts.length > 0) {
    lines.push(
      `Produced: ${outcome.artifacts.map((a) => `${a.name} (${a.contentType}, ${size(a.size)})`).join(", ")}`,
    );
  }
  return lines.join("\n");
}
