/** Rows of a `db.execute()` result, whichever driver ran it (postgres.js: array; PGlite: { rows }). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** True when a query failed on a unique constraint (SQLSTATE 23505), through drizzle's wrapping. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as {
      code?: unknown;
      constraint_name?: unknown;
      constraint?: unknown;
      message?: unknown;
    };
    if (e.code === "23505") {
      if (!constraint) return true;
      const name = e.constraint_name ?? e.constraint;
      return name === constraint || (typeof e.message === "string" && e.message.includes(constraint));
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
