/**
 * The demo's cache of built reports, shared by every session and era of one server: `build_report`
 * adds to it, `purge_report_cache` empties it, and the resources `reports://cache` (an index) and
 * `report://{file}` (each PDF) read it. Listeners hear every change, which the runtime turns into
 * `notifications/resources/updated` (subscribers of the index) and `notifications/resources/list_changed`.
 */

export const REPORT_CACHE_URI = "reports://cache";
export const REPORT_URI_PREFIX = "report://";

export interface CachedReport {
  /** File name, e.g. `latest-signups.pdf`; unique in the cache (a rebuild replaces the older one). */
  fileName: string;
  title: string;
  pdf: Buffer;
  pages: number;
  createdAt: string;
}

export class ReportCache {
  private readonly reports = new Map<string, CachedReport>();
  private readonly listeners = new Set<() => void>();

  put(report: CachedReport): void {
    this.reports.set(report.fileName, report);
    this.changed();
  }

  get(fileName: string): CachedReport | undefined {
    return this.reports.get(fileName);
  }

  /** Newest first. */
  list(): CachedReport[] {
    return [...this.reports.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Deletes every cached report; returns what was deleted. */
  purge(): CachedReport[] {
    const purged = this.list();
    this.reports.clear();
    if (purged.length > 0) this.changed();
    return purged;
  }

  /** Registers a change listener; returns its removal. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A session that went away must not break the others' notifications.
      }
    }
  }
}

export const reportUri = (fileName: string): string => `${REPORT_URI_PREFIX}${fileName}`;

/** JSON served as the `reports://cache` resource. */
export function describeReportCache(cache: ReportCache): Record<string, unknown> {
  const reports = cache.list();
  return {
    count: reports.length,
    reports: reports.map((r) => ({
      uri: reportUri(r.fileName),
      title: r.title,
      pages: r.pages,
      bytes: r.pdf.length,
      created_at: r.createdAt,
    })),
  };
}
