import { forwardRef, type KeyboardEvent, useId, useImperativeHandle, useRef, useState } from "react";

/** The session commands, for completion (the API's list: apps/api/src/sessions/commands.ts). */
export const COMMANDS: ReadonlyArray<[string, string]> = [
  ["/help", "commands and keyboard shortcuts"],
  ["/tools", "the server's tools"],
  ["/call ", "call one tool: /call TOOL {json}"],
  ["/graph ", "propose a graph: /graph {json}"],
  ["/approve all", "approve every pending node (not destructive ones)"],
  ["/approve ", "approve one node: /approve NODE"],
  ["/reject ", "reject one node: /reject NODE"],
  ["/cancel", "stop everything running"],
  ["/new", "start a new conversation"],
];

const HISTORY_MAX = 100;
const historyKey = (serverId: string) => `mcpdeck:prompt-history:${serverId}`;

function loadHistory(serverId: string): string[] {
  try {
    return JSON.parse(sessionStorage.getItem(historyKey(serverId)) ?? "[]") as string[];
  } catch {
    return [];
  }
}

export interface PromptHandle {
  focus(): void;
}

/**
 * The command line: Enter sends, Shift+Enter breaks the line, ↑/↓ walk the history, Tab completes a
 * /command (↑/↓ pick one while the list is open, Esc closes it).
 */
export const Prompt = forwardRef<
  PromptHandle,
  { serverId: string; disabled: boolean; onSubmit(text: string): boolean }
>(function Prompt({ serverId, disabled, onSubmit }, ref) {
  const [text, setText] = useState("");
  const [history, setHistory] = useState(() => loadHistory(serverId));
  const [position, setPosition] = useState<number>();
  const [picked, setPicked] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const [refused, setRefused] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useImperativeHandle(ref, () => ({ focus: () => input.current?.focus() }), []);

  const matches =
    text.startsWith("/") && !text.includes("\n") && !dismissed
      ? COMMANDS.filter(([cmd]) => cmd.startsWith(text) && cmd !== text)
      : [];
  const open = matches.length > 0;

  const complete = (command: string) => {
    setText(command);
    setDismissed(false);
    setPicked(0);
  };

  const send = () => {
    const line = text.trim();
    if (!line) return;
    if (!onSubmit(line)) {
      setRefused(true);
      return;
    }
    setRefused(false);
    const next = [...history.filter((h) => h !== line), line].slice(-HISTORY_MAX);
    setHistory(next);
    sessionStorage.setItem(historyKey(serverId), JSON.stringify(next));
    setText("");
    setPosition(undefined);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      setPicked((p) => (p + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
      return;
    }
    if (open && event.key === "Tab") {
      event.preventDefault();
      complete(matches[picked]?.[0] ?? matches[0]![0]);
      return;
    }
    if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        setDismissed(true);
      } else {
        input.current?.blur();
      }
      return;
    }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      if (open && picked > 0) complete(matches[picked]![0]);
      else send();
      return;
    }
    const singleLine = !text.includes("\n");
    if (event.key === "ArrowUp" && singleLine && history.length > 0) {
      event.preventDefault();
      const next = position === undefined ? history.length - 1 : Math.max(0, position - 1);
      setPosition(next);
      setText(history[next]!);
    } else if (event.key === "ArrowDown" && singleLine && position !== undefined) {
      event.preventDefault();
      const next = position + 1;
      if (next >= history.length) {
        setPosition(undefined);
        setText("");
      } else {
        setPosition(next);
        setText(history[next]!);
      }
    }
  };

  return (
    <div className="prompt">
      {open ? (
        <div id={`${id}-list`} className="completions" role="listbox" aria-label="Commands">
          {matches.map(([cmd, what], i) => (
            <div
              key={cmd}
              id={`${id}-opt-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === picked}
              className={i === picked ? "picked" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                complete(cmd);
                input.current?.focus();
              }}
            >
              <code>{cmd.trim()}</code> <span className="muted">{what}</span>
            </div>
          ))}
        </div>
      ) : null}
      <label htmlFor={`${id}-input`} className="prompt-sign">
        <span aria-hidden="true">&gt;</span>
        <span className="sr-only">Message or /command</span>
      </label>
      <textarea
        id={`${id}-input`}
        ref={input}
        rows={Math.min(6, text.split("\n").length)}
        value={text}
        disabled={disabled}
        placeholder={disabled ? "reconnecting…" : "ask in plain words, or /help"}
        spellCheck={false}
        autoComplete="off"
        role="combobox"
        aria-expanded={open}
        aria-controls={open ? `${id}-list` : undefined}
        aria-autocomplete="list"
        aria-activedescendant={open ? `${id}-opt-${picked}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setDismissed(false);
          setPicked(0);
          setRefused(false);
        }}
        onKeyDown={onKeyDown}
      />
      <button type="button" className="primary" onClick={send} disabled={disabled || !text.trim()}>
        Send
      </button>
      {refused ? (
        <p className="field-error prompt-refused" role="alert">
          Not connected: your text is kept; send it again once reconnected.
        </p>
      ) : null}
    </div>
  );
});
