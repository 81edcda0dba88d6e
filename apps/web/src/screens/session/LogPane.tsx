import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useId, useMemo, useRef } from "react";
import { clockTime } from "../../ui/time.js";
import type { LogEntry } from "./session-state.js";

const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];
const ROW_HEIGHT = 20;

/**
 * The live log: the server's messages and the engine's steps. Virtualised (only the visible rows
 * exist in the page), so tens of thousands of lines scroll and filter smoothly. Follow mode keeps
 * the newest line in view; scrolling up leaves it.
 */
export function LogPane(props: {
  logs: readonly LogEntry[];
  minLevel: Level;
  onMinLevel(level: Level): void;
  follow: boolean;
  onFollow(follow: boolean): void;
}) {
  const { logs, minLevel, follow } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const id = useId();
  const shown = useMemo(() => {
    const floor = LEVELS.indexOf(minLevel);
    return floor === 0 ? logs : logs.filter((l) => LEVELS.indexOf(l.level) >= floor);
  }, [logs, minLevel]);
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && shown.length > 0) virtualizer.scrollToIndex(shown.length - 1, { align: "end" });
  }, [follow, shown.length, virtualizer]);

  return (
    <section className="logs" aria-labelledby={`${id}-title`}>
      <div className="pane-tools">
        <h3 id={`${id}-title`} className="sr-only">
          Log
        </h3>
        <label htmlFor={`${id}-level`}>Level</label>
        <select
          id={`${id}-level`}
          value={minLevel}
          onChange={(e) => props.onMinLevel(e.target.value as Level)}
        >
          <option value="debug">all (debug and up)</option>
          <option value="info">info and up</option>
          <option value="warn">warnings and errors</option>
          <option value="error">errors only</option>
        </select>
        <label className="inline">
          <input type="checkbox" checked={follow} onChange={(e) => props.onFollow(e.target.checked)} /> Follow{" "}
          <kbd>f</kbd>
        </label>
        <span className="muted" data-testid="log-count">
          {shown.length} of {logs.length} lines
        </span>
      </div>
      <div
        ref={scroller}
        className="log-scroll"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
        tabIndex={0}
        role="log"
        aria-label="Log lines"
        onWheel={(e) => {
          if (e.deltaY < 0 && follow) props.onFollow(false);
        }}
        onKeyDown={(e) => {
          if ((e.key === "ArrowUp" || e.key === "PageUp" || e.key === "Home") && follow)
            props.onFollow(false);
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((row) => {
            const entry = shown[row.index]!;
            return (
              <div
                key={row.key}
                className={`log-line level-${entry.level}`}
                style={{ transform: `translateY(${row.start}px)`, height: ROW_HEIGHT }}
                title={entry.message}
              >
                <span className="log-time">{clockTime(entry.timestamp)}</span>{" "}
                <span className="log-level">{entry.level.toUpperCase().padEnd(5)}</span>{" "}
                {entry.node_id ? <span className="log-node">[{entry.node_id}]</span> : null} {entry.message}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
