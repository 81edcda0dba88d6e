import type { NodeAnnotations } from "@mcpdeck/contracts";

/** MCP tool annotations as servers send them (all hints optional). */
export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * A tool's annotations with MCP's defaults where the server said nothing: a tool is assumed to
 * write (not read-only), to be destructive and not idempotent, and to reach an open world. The
 * destructive and idempotent hints only mean something for tools that are not read-only.
 */
export function effectiveAnnotations(hints: McpToolAnnotations | undefined): NodeAnnotations {
  const readOnly = hints?.readOnlyHint ?? false;
  return {
    read_only: readOnly,
    destructive: !readOnly && (hints?.destructiveHint ?? true),
    idempotent: readOnly || (hints?.idempotentHint ?? false),
    open_world: hints?.openWorldHint ?? true,
  };
}
