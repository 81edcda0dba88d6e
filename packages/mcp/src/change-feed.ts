/**
 * What changes on the server while a connection is open: resource updates, list changes, and log
 * messages no call claimed. The notifications themselves arrive differently per era:
 * - legacy: unsolicited on the session's standalone stream (or the HTTP+SSE stream); resources are
 *   watched with `resources/subscribe`;
 * - modern: only on a `subscriptions/listen` stream, whose filter names what to deliver (list
 *   changes, and the resource URIs watched); the filter cannot change, so a new stream replaces
 *   the old one when the watched set changes (the new one is acknowledged before the old closes).
 * The handlers are the same either way (the SDK dispatches listen-stream notifications to the
 * registered notification handlers).
 */
import type {
  Client,
  McpSubscription,
  ServerCapabilities,
  SubscriptionFilter,
  Tool,
} from "@modelcontextprotocol/client";
import type { ProtocolEra } from "./era.js";
import { McpConnectionError } from "./errors.js";
import type { LogMessage } from "./hooks.js";

export interface ConnectionEvents {
  /** A watched resource changed (`subscribeResource`); read it again for the new contents. */
  resource_updated: { uri: string };
  /** The tool list changed; the connection's cached list is already refreshed. */
  tools_changed: Tool[];
  prompts_changed: undefined;
  resources_changed: undefined;
  /** A log message not attributed to a running call (see hooks.ts). */
  log: LogMessage;
}

export type EventName = keyof ConnectionEvents;
export type Listener<K extends EventName> = (value: ConnectionEvents[K]) => void;

/** A small typed event emitter; a throwing listener never disturbs the connection. */
export class Emitter {
  private readonly listeners = new Map<EventName, Set<(value: never) => void>>();

  on<K extends EventName>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (value: never) => void);
    return () => {
      set.delete(listener as (value: never) => void);
    };
  }

  emit<K extends EventName>(event: K, value: ConnectionEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<K>)(value);
      } catch {
        /* a listener's failure is its own business */
      }
    }
  }
}

/** Re-listen delay after a modern listen stream ended unexpectedly. */
const RELISTEN_DELAY_MS = 1000;

export class ChangeFeed {
  private readonly uris = new Set<string>();
  /** Modern era: the open listen stream, and whether list changes are wanted on it. */
  private listen: McpSubscription | undefined;
  private watchingLists = false;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly era: ProtocolEra,
    private readonly capabilities: ServerCapabilities,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves once list changes are being delivered (legacy era: always). */
  watchLists(): Promise<void> {
    if (this.era === "legacy" || this.watchingLists) return this.queue;
    this.watchingLists = true;
    return this.relisten();
  }

  get watched(): ReadonlySet<string> {
    return this.uris;
  }

  async subscribe(uri: string): Promise<void> {
    if (this.uris.has(uri)) return;
    if (!this.capabilities.resources?.subscribe) {
      throw new McpConnectionError(
        "PROTOCOL_ERROR",
        "The MCP server does not offer resource subscriptions.",
        {
          detail: "resources.subscribe",
        },
      );
    }
    this.uris.add(uri);
    try {
      if (this.era === "legacy") await this.client.subscribeResource({ uri }, { timeout: this.timeoutMs });
      else {
        await this.relisten();
        if (!this.listen?.honoredFilter.resourceSubscriptions?.includes(uri)) {
          throw new McpConnectionError("PROTOCOL_ERROR", `The MCP server declined to watch ${uri}.`, {
            detail: "resourceSubscriptions",
          });
        }
      }
    } catch (error) {
      this.uris.delete(uri);
      throw error;
    }
  }

  async unsubscribe(uri: string): Promise<void> {
    if (!this.uris.delete(uri)) return;
    if (this.era === "legacy") await this.client.unsubscribeResource({ uri }, { timeout: this.timeoutMs });
    else await this.relisten();
  }

  close(): void {
    this.closed = true;
    void this.listen?.close();
    this.listen = undefined;
  }

  private filter(): SubscriptionFilter {
    const caps = this.capabilities;
    return {
      ...(this.watchingLists && caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(this.watchingLists && caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(this.watchingLists && caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(this.uris.size > 0 ? { resourceSubscriptions: [...this.uris] } : {}),
    };
  }

  /** Modern era: replaces the listen stream with one for the current filter (one at a time). */
  private relisten(): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      const filter = this.filter();
      const previous = this.listen;
      if (Object.keys(filter).length === 0) {
        this.listen = undefined;
        await previous?.close();
        return;
      }
      // Not marked as any call's: its notifications belong to no call.
      const next = await this.client.listen(filter, { timeout: this.timeoutMs });
      this.listen = next;
      await previous?.close();
      void next.closed.then((cause) => {
        if (cause !== "remote" || this.closed || this.listen !== next) return;
        setTimeout(() => {
          if (!this.closed && this.listen === next) void this.relisten().catch(() => undefined);
        }, RELISTEN_DELAY_MS).unref();
      });
    };
    const step = this.queue.then(run, run);
    this.queue = step.catch(() => undefined);
    return step;
  }
}
