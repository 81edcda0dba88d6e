import { sql } from "drizzle-orm";
import type { Executor } from "./transaction.js";

/**
 * LISTEN/NOTIFY over both drivers, for fan-out between API processes on one database.
 *
 * A notification is a wake-up call, not a message store: send ids or a cursor and let listeners read
 * the rows (Postgres caps a payload below 8000 bytes, drops notifications while a listener is
 * disconnected, and delivers a notification sent in a transaction only when it commits, in commit
 * order).
 */

/** Postgres refuses payloads of 8000 bytes or more (default build). */
export const NOTIFY_PAYLOAD_MAX_BYTES = 7999;

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Channel names are lower-case SQL identifiers: PGlite splices them into `LISTEN` unquoted (folding
 * case) while `pg_notify` takes them literally, so only names both read the same way are allowed.
 */
export function assertChannelName(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) {
    throw new RangeError(
      `Invalid notification channel "${channel}": use 1-63 lower-case letters, digits and underscores, not starting with a digit.`,
    );
  }
}

function assertPayload(channel: string, payload: string): void {
  const bytes = Buffer.byteLength(payload, "utf8");
  if (bytes > NOTIFY_PAYLOAD_MAX_BYTES) {
    throw new RangeError(
      `Notification payload on "${channel}" is ${bytes} bytes; the limit is ${NOTIFY_PAYLOAD_MAX_BYTES}: send ids or a cursor and let listeners read the rows.`,
    );
  }
}

export interface ListenOptions {
  /**
   * Called when the listening connection was lost and is listening again (PostgreSQL only).
   * Notifications sent in between are gone: re-read whatever the channel tracks.
   */
  onReconnect?: () => void;
}

/** Stops delivery to this listener. Idempotent. */
export type Unlisten = () => Promise<void>;

export type Listen = (
  channel: string,
  onPayload: (payload: string) => void,
  options?: ListenOptions,
) => Promise<Unlisten>;

/**
 * Starts the driver listening on a channel, delivering every payload to `dispatch` and calling
 * `onRelisten` whenever it listens again after a lost connection.
 */
export type ListenChannel = (
  channel: string,
  dispatch: (payload: string) => void,
  onRelisten: () => void,
) => Promise<void>;

interface Subscriber {
  onPayload: (payload: string) => void;
  onReconnect: (() => void) | undefined;
}

/**
 * Many listeners over one driver subscription per channel. The driver keeps listening on a channel
 * once used (channels are a fixed handful): that spares a LISTEN/UNLISTEN round trip per subscriber
 * and sidesteps postgres.js, whose `unlisten` stops working after it re-listened on a new connection.
 */
export function createListen(listenChannel: ListenChannel): Listen {
  const channels = new Map<string, { subscribers: Set<Subscriber>; ready: Promise<void> }>();

  function deliver(channel: string, subscriber: Subscriber, payload: string) {
    try {
      subscriber.onPayload(payload);
    } catch (error) {
      // One faulty listener must neither break the connection's reader nor starve the others.
      process.emitWarning(
        `A listener on channel "${channel}" threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  return async (channel, onPayload, options = {}) => {
    assertChannelName(channel);
    let entry = channels.get(channel);
    if (!entry) {
      const subscribers = new Set<Subscriber>();
      const ready = listenChannel(
        channel,
        (payload) => {
          for (const s of [...subscribers]) deliver(channel, s, payload);
        },
        () => {
          for (const s of [...subscribers]) s.onReconnect?.();
        },
      );
      const created = { subscribers, ready };
      entry = created;
      channels.set(channel, created);
      // A failed LISTEN is retried by the next subscriber.
      ready.catch(() => {
        if (channels.get(channel) === created) channels.delete(channel);
      });
    }
    const subscriber: Subscriber = { onPayload, onReconnect: options.onReconnect };
    const { subscribers } = entry;
    subscribers.add(subscriber);
    try {
      await entry.ready;
    } catch (error) {
      subscribers.delete(subscriber);
      throw error;
    }
    return async () => {
      subscribers.delete(subscriber);
    };
  };
}

/**
 * Sends `payload` on `channel`. Through a transaction it is delivered when (and only if) that
 * transaction commits — write the rows and notify in one transaction, and listeners never wake up
 * before the rows are visible.
 */
export async function notify(executor: Executor, channel: string, payload: string): Promise<void> {
  assertChannelName(channel);
  assertPayload(channel, payload);
  await executor.execute(sql`select pg_notify(${channel}, ${payload})`);
}
