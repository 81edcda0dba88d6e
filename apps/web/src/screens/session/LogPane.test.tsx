import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LogPane } from "./LogPane.js";
import type { LogEntry } from "./session-state.js";

afterEach(cleanup);

const levels = ["debug", "info", "warn", "error"] as const;
const lines: LogEntry[] = Array.from({ length: 10_000 }, (_, i) => ({
  timestamp: "2026-11-28T10:00:00.000Z",
  level: levels[i % 4]!,
  message: `line ${i}`,
}));

describe("LogPane", () => {
  it("keeps only a screenful of 10,000 lines in the page, and filters by level", () => {
    const { container, rerender } = render(
      <LogPane logs={lines} minLevel="debug" onMinLevel={() => {}} follow={false} onFollow={() => {}} />,
    );
    expect(screen.getByTestId("log-count").textContent).toBe("10000 of 10000 lines");
    expect(container.querySelectorAll(".log-line").length).toBeLessThan(100);
    rerender(
      <LogPane logs={lines} minLevel="warn" onMinLevel={() => {}} follow={false} onFollow={() => {}} />,
    );
    expect(screen.getByTestId("log-count").textContent).toBe("5000 of 10000 lines");
    for (const row of container.querySelectorAll(".log-line"))
      expect(row.className).toMatch(/level-(warn|error)/);
  });

  it("leaves follow mode when the person scrolls up, and offers the level filter", () => {
    const onFollow = vi.fn();
    const onMinLevel = vi.fn();
    render(<LogPane logs={lines} minLevel="debug" onMinLevel={onMinLevel} follow onFollow={onFollow} />);
    fireEvent.wheel(screen.getByRole("log", { name: "Log lines" }), { deltaY: -50 });
    expect(onFollow).toHaveBeenCalledWith(false);
    fireEvent.change(screen.getByLabelText("Level"), { target: { value: "error" } });
    expect(onMinLevel).toHaveBeenCalledWith("error");
  });
});
