import { useEffect, useState } from "react";

/** The current time, re-read every `everyMs` while mounted (countdowns, "12 s ago"). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * Whole seconds left until `until` (0 once passed). Read against the clock at each render, not only
 * at the last tick: a deadline set between two ticks would otherwise show a second too many (the API
 * says "wait 2 s", the countdown beside it 3 s).
 */
export function useSecondsLeft(until: number | undefined): number {
  useNow(); // renders again each second
  if (until === undefined) return 0;
  return Math.max(0, Math.ceil((until - Date.now()) / 1000));
}
