import { McpdeckError } from "@mcpdeck/sdk";
import { UsageError } from "./args.js";
import type { Style } from "./style.js";

/** A failure as the person should read it: the API's message, the fields to fix, what to do next. */
export function describeError(error: unknown, style: Style, api?: string): string {
  if (error instanceof McpdeckError) {
    const lines = [
      `${style.red("error:")} ${error.message} ${style.dim(`(${error.code}${error.reason ? `, ${error.reason}` : ""})`)}`,
    ];
    for (const issue of error.issues ?? []) lines.push(`  - ${issue.path}: ${issue.message}`);
    if (error.retryAfter !== undefined) lines.push(`  Try again in ${error.retryAfter} s.`);
    if (error.signInRequired) lines.push(`  Sign in${api ? ` to ${api}` : ""} with: mcpdeck login`);
    return lines.join("\n");
  }
  if (error instanceof UsageError) return `${style.red("error:")} ${error.message}\n  See: mcpdeck --help`;
  return `${style.red("error:")} ${error instanceof Error ? error.message : String(error)}`;
}
