import type { AppRouter, RouterOutputs } from "@mcpdeck/api/router";
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";
import { callError, trpcHttpClient, trpcWsClient } from "../testing/trpc-clients.js";

/**
 * The API driven the way a TypeScript client drives it: `createTRPCClient<AppRouter>` typed from
 * the types-only entry `@mcpdeck/api/router`, over HTTP and over WebSocket.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/** Email-OTP sign-in through the typed client, reading the code from the development outbox. */
async function signIn(client: TRPCClient<AppRouter>, email: string) {
  const requested = await client.auth.otpRequest.mutate({ email });
  expect(requested.status).toBe("sent");
  const { messages } = await client.dev.outbox.query({ email });
  const code = messages[0]?.code;
  expect(code).toMatch(/^\d{6}$/);
  return client.auth.otpVerify.mutate({ email, code: code! });
}

/** What a signed-in client sees first: its profile and its (empty) server list. */
async function expectSignedIn(client: TRPCClient<AppRouter>, email: string) {
  const profile: RouterOutputs["user"]["profile"] = await client.user.profile.query();
  expect(profile.email).toBe(email);
  const page = await client.servers.list.query({});
  expect(page.servers).toEqual([]);
  expect(page.next).toBeUndefined();
}

describe("the typed client (createTRPCClient<AppRouter>)", () => {
  it("signs in, reads the profile and lists servers over HTTP, with typed errors", async () => {
    const session = await signIn(trpcHttpClient(app), "typed-http@example.com");
    expect(session.is_new_user).toBe(true);
    await expectSignedIn(trpcHttpClient(app, { token: session.access_token }), "typed-http@example.com");

    const error = await callError(trpcHttpClient(app).user.profile.query());
    expect(error.data?.error.code).toBe("UNAUTHENTICATED");
    expect(error.data?.httpStatus).toBe(401);
    expect(error.message).toContain("Sign in first");
    expect(error.data).not.toHaveProperty("stack");
  });

  it("does the same over WebSocket, the token in connection params", async () => {
    const anonymous = trpcWsClient(app);
    const session = await signIn(anonymous.client, "typed-ws@example.com").finally(anonymous.close);
    const socket = trpcWsClient(app, { token: session.access_token });
    try {
      await expectSignedIn(socket.client, "typed-ws@example.com");
    } finally {
      socket.close();
    }

    const unauthenticated = trpcWsClient(app);
    try {
      const error = await callError(unauthenticated.client.user.profile.query());
      expect(error.data?.error.code).toBe("UNAUTHENTICATED");
      expect(error.data).not.toHaveProperty("stack");
      // Validation errors name the field, over WebSocket as anywhere.
      const invalid = await callError(unauthenticated.client.auth.otpRequest.mutate({ email: "nope" }));
      expect(invalid.data?.error.code).toBe("VALIDATION_FAILED");
      expect(invalid.data?.error.issues?.[0]?.path).toBe("email");
    } finally {
      unauthenticated.close();
    }
  });
});
