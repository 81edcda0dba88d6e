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

/** Whole seconds left until `until` (0 once passed). */
export function useSecondsLeft(until: number | undefined): number {
  const now = useNow();
  return until === undefined ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}
