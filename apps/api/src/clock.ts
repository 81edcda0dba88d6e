/** Time source; tests inject a controllable one to prove expiry without waiting. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
