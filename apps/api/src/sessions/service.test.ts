import { describe, expect, it } from "vitest";
import { createSessionService } from "./service.js";

/** Only what `connectionStatus` reaches: the server's ping and the planner's status. */
function serviceWithPings() {
  const pinged: string[] = [];
  const service = createSessionService({
    tools: {
      ping: async (owner: { serverId: string }) => {
        pinged.push(owner.serverId);
        await new Promise((r) => setTimeout(r, 20));
        return 3.4;
      },
    },
    engine: { modelStatus: async () => ({ model: "builtin", memory: { used: 0, total: 0 } }) },
  } as unknown as Parameters<typeof createSessionService>[0]);
  return { service, pinged };
}

const actor = (serverId: string, sessionId = "s1") => ({ userId: "u1", serverId, sessionId });

describe("connection_status", () => {
  it("shares one ping among the sockets of a server, and pings again after a status change", async () => {
    const { service, pinged } = serviceWithPings();
    const statuses = await Promise.all([
      service.connectionStatus(actor("a", "s1")),
      service.connectionStatus(actor("a", "s2")),
      service.connectionStatus(actor("a", "s3")),
      service.connectionStatus(actor("b")),
    ]);
    expect(statuses.map((s) => [s.status, s.latency])).toEqual([
      ["online", 3],
      ["online", 3],
      ["online", 3],
      ["online", 3],
    ]);
    expect(pinged.sort()).toEqual(["a", "b"]);
    await service.connectionStatus(actor("a"));
    expect(pinged).toHaveLength(2);
    service.forgetPing("a");
    await service.connectionStatus(actor("a"));
    expect(pinged.sort()).toEqual(["a", "a", "b"]);
  });
});
