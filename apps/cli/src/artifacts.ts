import { existsSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Artifact, McpdeckClient } from "@mcpdeck/sdk";

/** A file name of our own from a name the MCP server chose: no directories, nothing hidden. */
function safeName(name: string, fallback: string): string {
  const base = basename(name.replace(/\\/g, "/"))
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
    .replace(/[\x00-\x1f<>:"|?*]/g, "_")
    .replace(/^\.+/, "");
  return base || fallback;
}

/** A path in `dir` not taken yet: `report.pdf`, then `report (1).pdf`, … */
function freePath(dir: string, name: string): string {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  let candidate = join(dir, name);
  for (let n = 1; existsSync(candidate); n++) candidate = join(dir, `${stem} (${n})${ext}`);
  return candidate;
}

/** Downloads an artifact into `dir` (never overwriting a file); returns where it went. */
export async function saveArtifact(client: McpdeckClient, artifact: Artifact, dir: string): Promise<string> {
  const file = await client.downloadArtifact(artifact.artifact_id);
  const path = freePath(dir, safeName(artifact.name, `artifact-${artifact.artifact_id}`));
  writeFileSync(path, file.bytes, { flag: "wx" });
  return path;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
