export interface DockerInstruction {
  /** Upper-case instruction (RUN, COPY, …). */
  op: string;
  args: string;
}

export interface DockerStage {
  base: string;
  name?: string;
  steps: DockerInstruction[];
}

/**
 * A Dockerfile's stages and their instructions, as the container recipe test replays them: comments
 * and blank lines dropped, continued lines joined.
 */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(pending + line);
    pending = "";
  }
  for (const line of logical) {
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === "FROM") {
      const [, base = "", name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ base, ...(name ? { name } : {}), steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${op} before the first FROM`);
    stage.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** `["node", "x.js"]` → its words; the exec form is the only one the recipe uses. */
export function execForm(args: string): string[] {
  const words: unknown = JSON.parse(args);
  if (!Array.isArray(words) || !words.every((w) => typeof w === "string"))
    throw new Error(`Dockerfile: not an exec-form command: ${args}`);
  return words;
}

/** `ENV A=1 B=two` → { A: "1", B: "two" } (values without spaces or quotes). */
export function envPairs(args: string): Record<string, string> {
  return Object.fromEntries(
    args.split(/\s+/).map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new Error(`Dockerfile: ENV takes KEY=value pairs: ${args}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
