import { GraphSpec } from "@mcpdeck/contracts";
import { z } from "zod";

/**
 * What the model answers, as structured output. Every field is required and arguments travel as a
 * JSON string: the shape every provider's structured output accepts (OpenAI's strict mode wants
 * every property required and no open objects; Gemini's schemas have no free-form maps).
 */
export const PlanOutput = z.strictObject({
  reply: z
    .string()
    .describe(
      "What to tell the person: the answer, a question, or one or two sentences introducing the plan.",
    ),
  nodes: z
    .array(
      z.strictObject({
        id: z.string().describe("Short unique step id: letters, digits, _ or - (e.g. query, report)."),
        tool: z.string().describe("Exactly one of the server's tool names."),
        title: z.string().describe("A few words naming the step."),
        content: z.string().describe("One or two sentences: what this step does and why."),
        arguments_json: z
          .string()
          .describe('The tool\'s arguments as a JSON object in a string, e.g. "{\\"limit\\": 10}".'),
        depends_on: z.array(z.string()).describe("Ids of the steps that must finish first."),
      }),
    )
    .describe("The plan's steps; empty for a plain reply."),
});
export type PlanOutput = z.infer<typeof PlanOutput>;

export type ReadPlan =
  | { ok: true; reply: string; spec?: GraphSpec }
  | { ok: false; problems: string[]; reply?: string };

/** Takes the model's text apart: JSON (fenced or not), the output schema, each step's arguments. */
export function readPlan(text: string): ReadPlan {
  const json = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return {
      ok: false,
      problems: [`The answer is not JSON (${error instanceof Error ? error.message : String(error)}).`],
    };
  }
  const parsed = PlanOutput.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.length ? i.path.join(".") : "answer"}: ${i.message}`),
    };
  }
  const { reply, nodes } = parsed.data;
  if (nodes.length === 0) return { ok: true, reply };
  const problems: string[] = [];
  const specNodes = nodes.map((node) => {
    let args: unknown = {};
    try {
      args = node.arguments_json.trim() ? JSON.parse(node.arguments_json) : {};
    } catch (error) {
      problems.push(
        `Node "${node.id}": arguments_json is not JSON (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      problems.push(`Node "${node.id}": arguments_json must hold a JSON object.`);
      args = {};
    }
    return {
      id: node.id,
      tool: node.tool,
      ...(node.title.trim() ? { title: node.title.trim().slice(0, 200) } : {}),
      ...(node.content.trim() ? { content: node.content.trim().slice(0, 4000) } : {}),
      arguments: args,
      depends_on: node.depends_on,
    };
  });
  const spec = GraphSpec.safeParse({ nodes: specNodes });
  if (!spec.success)
    problems.push(
      ...spec.error.issues.slice(0, 10).map((i) => `${i.path.join(".") || "graph"}: ${i.message}`),
    );
  if (problems.length > 0 || !spec.success) return { ok: false, problems, reply };
  return { ok: true, reply, spec: spec.data };
}
