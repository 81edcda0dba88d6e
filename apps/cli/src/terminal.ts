import { clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from "node:readline";
import { clip, createStyle, type Style } from "./style.js";

/** What `ask` answers when `interrupt()` took the prompt away (something else must be asked first). */
export const INTERRUPTED = Symbol("interrupted");
export type Answer = string | null | typeof INTERRUPTED;

/**
 * The person's terminal: lines typed (or piped) in, text printed out. At a real terminal it keeps a
 * live region above the prompt — the graph being run, redrawn in place as it changes — and prints
 * everything else above that, so output never tramples what is being typed. With piped input or
 * output it is plain lines: prompts and output in order, nothing redrawn.
 */
export class Terminal {
  readonly interactive: boolean;
  readonly style: Style;
  readonly #input: NodeJS.ReadStream;
  readonly #output: NodeJS.WriteStream;
  readonly #rl: Interface;
  readonly #lines: string[] = [];
  #waiting: ((line: Answer) => void) | undefined;
  /** Keys typed for a secret are not shown. */
  #secret = false;
  #ended = false;
  #closed = false;
  #prompt = "";
  #prompting = false;
  #live: string[] = [];
  #liveDrawn = 0;
  #redraw: ReturnType<typeof setTimeout> | undefined;

  constructor(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout) {
    this.#input = input;
    this.#output = output;
    this.interactive = Boolean(input.isTTY && output.isTTY);
    this.style = createStyle(Boolean(output.isTTY) && !process.env.NO_COLOR);
    this.#rl = createInterface({
      input,
      output,
      terminal: this.interactive,
      historySize: this.interactive ? 200 : 0,
    });
    this.#rl.on("line", (line) => {
      if (this.interactive) this.#echo(line);
      const waiting = this.#waiting;
      // Piped input is not echoed: show the answer after its prompt, as a terminal would.
      if (waiting && !this.interactive) this.#output.write(this.#secret ? "\n" : `${line}\n`);
      this.#secret = false;
      if (waiting) {
        this.#waiting = undefined;
        this.#prompting = false;
        waiting(line);
      } else this.#lines.push(line);
    });
    this.#rl.on("close", () => {
      this.#ended = true;
      this.#waiting?.(null);
      this.#waiting = undefined;
    });
    // While a secret is typed, readline writes the prompt but not the keys.
    const rl = this.#rl as unknown as { _writeToOutput(text: string): void };
    const write = rl._writeToOutput.bind(rl);
    rl._writeToOutput = (text) => {
      if (!this.#secret || text.startsWith(this.#prompt) || text === "\r\n" || text === "\n") write(text);
    };
    // Ctrl-C at a prompt ends it like the end of input (the command leaves in good order); while
    // nothing is asked, it stops the command as it would without readline in the way.
    this.#rl.on("SIGINT", () => {
      const asking = this.#waiting !== undefined;
      this.close();
      if (!asking) process.kill(process.pid, "SIGINT");
    });
  }

  get columns(): number {
    return this.#output.columns || 100;
  }

  /** The next line typed, after showing `prompt`; null when the input has ended. */
  ask(prompt: string, opts: { secret?: boolean } = {}): Promise<Answer> {
    this.#prompt = prompt;
    this.#secret = Boolean(opts.secret);
    const queued = this.#lines.shift();
    if (queued !== undefined) {
      this.#secret = false;
      if (!this.interactive) this.#output.write(`${prompt}${opts.secret ? "" : queued}\n`);
      return Promise.resolve(queued);
    }
    if (this.#ended) return Promise.resolve(null);
    this.#prompting = true;
    this.#rl.setPrompt(prompt);
    this.#rl.prompt();
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Ends the question being asked now: its `ask` answers INTERRUPTED (what was typed stays). */
  interrupt() {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    this.#prompting = false;
    waiting(INTERRUPTED);
  }

  /** Changes the prompt of the question being asked now (something else came to ask about). */
  setPrompt(prompt: string) {
    if (prompt === this.#prompt) return;
    this.#prompt = prompt;
    if (!this.#prompting) return;
    this.#rl.setPrompt(prompt);
    if (this.interactive) {
      this.#clearBottom();
      this.#drawBottom();
    } else this.#output.write(`\n${prompt}`);
  }

  /** Prints lines above the live region and the prompt. */
  print(text: string) {
    if (!this.interactive) {
      this.#output.write(this.#prompting ? `\n${text}\n${this.#prompt}` : `${text}\n`);
      return;
    }
    this.#clearBottom();
    this.#output.write(`${text}\n`);
    this.#drawBottom();
  }

  /** The live region's lines (a terminal only; redrawn shortly, coalescing quick changes). */
  setLive(lines: string[]) {
    if (!this.interactive) return;
    // Taken at once (the next print draws it); drawn on its own shortly.
    this.#live = lines;
    this.#redraw ??= setTimeout(() => {
      this.#redraw = undefined;
      this.#clearBottom();
      this.#drawBottom();
    }, 40);
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#redraw);
    if (this.interactive) {
      this.#clearBottom();
      for (const line of this.#live) this.#output.write(`${clip(line, this.columns)}\n`);
      this.#live = [];
      this.#liveDrawn = 0;
    }
    this.#prompting = false;
    this.#rl.close();
    this.#input.unref?.();
  }

  /** A typed line scrolled up with the prompt: keep it above the live region, as output. */
  #echo(line: string) {
    // readline moved to a new line after the prompt: the live region is one line further up.
    cursorTo(this.#output, 0);
    moveCursor(this.#output, 0, -(this.#liveDrawn + 1));
    clearScreenDown(this.#output);
    this.#liveDrawn = 0;
    this.#output.write(`${this.#prompt}${line}\n`);
    this.#drawLive();
  }

  #clearBottom() {
    cursorTo(this.#output, 0);
    if (this.#liveDrawn > 0) moveCursor(this.#output, 0, -this.#liveDrawn);
    clearScreenDown(this.#output);
    this.#liveDrawn = 0;
  }

  #drawLive() {
    for (const line of this.#live) this.#output.write(`${clip(line, this.columns)}\n`);
    this.#liveDrawn = this.#live.length;
  }

  #drawBottom() {
    this.#drawLive();
    if (this.#prompting) this.#rl.prompt(true);
  }
}
