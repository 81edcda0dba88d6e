/**
 * What the client can answer, read from its declared capabilities, and the messages a tool gives when
 * it cannot: asking is pointless (or, on the modern era, refused by the SDK) when the capability is missing.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server";

/** Form elicitation: `elicitation.form`, or a bare `elicitation: {}` (the pre-mode meaning). */
export function supportsFormElicitation(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation as Record<string, unknown> | undefined;
  if (!elicitation) return false;
  return (
    elicitation.form !== undefined || (elicitation.url === undefined && Object.keys(elicitation).length === 0)
  );
}

export function supportsUrlElicitation(capabilities: ClientCapabilities | undefined): boolean {
  return (capabilities?.elicitation as Record<string, unknown> | undefined)?.url !== undefined;
}

export function supportsSampling(capabilities: ClientCapabilities | undefined): boolean {
  return capabilities?.sampling !== undefined;
}

export const elicitationUnavailable = (tool: string, mode: "form" | "URL", why: string): string =>
  `Elicitation is unavailable: ${why}, so ${tool} cannot ask the user (it needs ${mode} elicitation).`;

export const samplingUnavailable = (tool: string, why: string): string =>
  `Sampling is unavailable: ${why}, so ${tool} cannot ask the client's model.`;
