import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  api: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/**
 * Splits argv into the command's words (`servers add`) and the rest, reading the rest with the
 * command's own options (plus the global ones): an option a command does not take is an error.
 */
export function commandWords(argv: string[], depth: (first: string) => number): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--api") {
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    words.push(arg);
    if (words.length >= depth(words[0]!)) break;
  }
  return words;
}

export function parseCommand<O extends Options>(argv: string[], words: string[], options: O) {
  const rest = [...argv];
  for (const word of words) rest.splice(rest.indexOf(word), 1);
  try {
    return parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
