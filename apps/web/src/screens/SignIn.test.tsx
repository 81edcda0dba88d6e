import { type ApiError, errorStatus } from "@mcpdeck/contracts";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { initTRPC, TRPCError } from "@trpc/server";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApiClient, TRPCProvider } from "../api/trpc.js";
import { AuthProvider } from "../auth/auth-context.js";
import { createTokenManager } from "../auth/token-manager.js";
import { SignIn } from "./SignIn.js";

/**
 * The sign-in screen over the web client's real tRPC client and HTTP, against a tRPC server on
 * loopback standing in for the API's two sign-in procedures. Each refusal is sent as the API sends
 * it (its code, message and retry_after in `data.error`, under the same tRPC code), so what
 * the screen shows is tested for each: an expired code, too many attempts, a rate limit.
 */
class Refusal extends Error {
  constructor(readonly body: ApiError) {
    super(body.message);
  }
}

/** The API's refusals, word for word (apps/api/src/auth/service.ts, policy/rate-limit.ts). */
const REFUSALS = {
  expired: { code: "OTP_EXPIRED", message: "That code has expired. Request a new code." },
  lastWrong: {
    code: "OTP_INVALID",
    message: "That code is not correct. No attempts left: request a new code later.",
  },
  exhausted: {
    code: "OTP_EXHAUSTED",
    message: "Too many wrong attempts: this code no longer works. Request a new code in a few minutes.",
  },
  tooManyRequests: { code: "RATE_LIMITED", message: "Too many requests. Try again in 2 s.", retry_after: 2 },
  cooldown: {
    code: "RATE_LIMITED",
    message: "A code was sent moments ago. Wait 25 s before asking for another.",
    retry_after: 25,
  },
} satisfies Record<string, ApiError>;

/**
 * The tRPC code the API gives each refusal: its HTTP status from the contracts (`errorStatus`), then
 * that status's tRPC code as apps/api/src/errors.ts picks it (410 goes out as 400).
 */
const TRPC_CODE_FOR_STATUS: Record<number, TRPCError["code"]> = {
  401: "UNAUTHORIZED",
  410: "BAD_REQUEST",
  429: "TOO_MANY_REQUESTS",
};
const trpcCodeOf = (code: ApiError["code"]) => {
  const trpcCode = TRPC_CODE_FOR_STATUS[errorStatus[code]];
  if (!trpcCode) throw new Error(`no tRPC code for ${code} (HTTP ${errorStatus[code]}) in this stand-in`);
  return trpcCode;
};

type Answer = ApiError | { ok: unknown };
const script: Record<"otpRequest" | "otpVerify", Answer[]> = { otpRequest: [], otpVerify: [] };
const received: Array<{ path: string; input: unknown }> = [];

const t = initTRPC.create({
  errorFormatter({ shape, error }) {
    const body = error.cause instanceof Refusal ? error.cause.body : undefined;
    return body ? { ...shape, message: body.message, data: { ...shape.data, error: body } } : shape;
  },
});
const answer = (path: keyof typeof script) =>
  t.procedure
    .input((raw) => raw)
    .mutation(({ input }) => {
      received.push({ path, input });
      const next = script[path].shift();
      if (!next) throw new Error(`nothing scripted for ${path}`);
      if ("ok" in next) return next.ok;
      throw new TRPCError({
        code: trpcCodeOf(next.code),
        message: next.message,
        cause: new Refusal(next),
      });
    });
const router = t.router({
  auth: t.router({ otpRequest: answer("otpRequest"), otpVerify: answer("otpVerify") }),
});
const server = createHTTPServer({ router, basePath: "/trpc/" });

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  // The page is served by the API: same origin, so the client's relative `/trpc` reaches it.
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(
    `http://127.0.0.1:${port}/signin`,
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  cleanup();
  script.otpRequest.length = 0;
  script.otpVerify.length = 0;
  received.length = 0;
});

function renderSignIn() {
  const tokens = createTokenManager({
    refresh: () => Promise.reject(new Error("no refresh in this test")),
    logout: async () => {},
    now: () => Date.now(),
    setTimer: (run, ms) => window.setTimeout(run, ms),
    clearTimer: (timer) => window.clearTimeout(timer as number),
    random: () => 0.5,
  });
  const { client, close } = createApiClient(tokens);
  const queryClient = new QueryClient({ defaultOptions: { mutations: { retry: false } } });
  const view = render(
    <AuthProvider tokens={tokens}>
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={client} queryClient={queryClient}>
          <SignIn />
        </TRPCProvider>
      </QueryClientProvider>
    </AuthProvider>,
  );
  return { ...view, close };
}

const EMAIL = "person@example.com";
const sent = { ok: { status: "sent", cooldown_sec: 0 } };

/** Asks for a code and lands on the code step. */
async function askForCode() {
  fireEvent.change(screen.getByLabelText("Email"), { target: { value: EMAIL } });
  fireEvent.click(screen.getByRole("button", { name: "Send code" }));
  await screen.findByLabelText("Code");
}

async function enterCode(code: string) {
  fireEvent.change(screen.getByLabelText("Code"), { target: { value: code } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
  return screen.findByRole("alert");
}

/** The alert's lines: its heading, then each paragraph. */
const linesOf = (alert: HTMLElement) =>
  [...alert.querySelectorAll("strong, p")].map((el) => el.textContent?.trim());

describe("SignIn refusals", () => {
  it("an expired code: says it expired, clears the field and offers a new code", async () => {
    script.otpRequest.push(sent);
    script.otpVerify.push(REFUSALS.expired);
    const { close } = renderSignIn();
    await askForCode();
    const alert = await enterCode("123456");
    expect(linesOf(alert)).toEqual(["Code expired", "That code has expired. Request a new code."]);
    expect((screen.getByLabelText("Code") as HTMLInputElement).value).toBe("");
    expect(screen.getByLabelText("Code").getAttribute("aria-invalid")).toBeNull();
    // Once the resend cooldown (here none; the clock reads each second) is over.
    expect(await screen.findByRole("button", { name: "Send a new code" }, { timeout: 2500 })).toBeTruthy();
    expect(received).toEqual([
      { path: "otpRequest", input: { email: EMAIL } },
      { path: "otpVerify", input: { email: EMAIL, code: "123456" } },
    ]);
    close();
  });

  it("too many attempts: the last wrong code says none are left, then the code is dead", async () => {
    script.otpRequest.push(sent);
    script.otpVerify.push(REFUSALS.lastWrong, REFUSALS.exhausted);
    const { close } = renderSignIn();
    await askForCode();
    const wrong = await enterCode("000000");
    expect(linesOf(wrong)).toEqual([
      "Wrong code",
      "That code is not correct. No attempts left: request a new code later.",
    ]);
    expect(screen.getByLabelText("Code").getAttribute("aria-invalid")).toBe("true");
    expect(await screen.findByRole("button", { name: "Resend code" }, { timeout: 2500 })).toBeTruthy();

    fireEvent.change(screen.getByLabelText("Code"), { target: { value: "654321" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("Too many attempts"));
    expect(linesOf(screen.getByRole("alert"))).toEqual([
      "Too many attempts",
      "Too many wrong attempts: this code no longer works. Request a new code in a few minutes.",
    ]);
    // Once the resend cooldown (here none; the clock reads each second) is over.
    expect(await screen.findByRole("button", { name: "Send a new code" }, { timeout: 2500 })).toBeTruthy();
    close();
  });

  it("rate limited signing in: says how long to wait, and holds the Sign in button until then", async () => {
    script.otpRequest.push(sent);
    script.otpVerify.push(REFUSALS.tooManyRequests);
    const { close } = renderSignIn();
    await askForCode();
    const alert = await enterCode("123456");
    expect(linesOf(alert)).toEqual([
      "Slow down",
      "Too many requests. Try again in 2 s.",
      "You can try again in 2 s.",
    ]);
    fireEvent.change(screen.getByLabelText("Code"), { target: { value: "123456" } });
    const signIn = screen.getByRole("button", { name: "Sign in" }) as HTMLButtonElement;
    expect(signIn.disabled).toBe(true);
    // The wait counts down, then the button comes back.
    await waitFor(() => expect(alert.textContent).toContain("You can try again in 1 s."), { timeout: 2500 });
    await waitFor(() => expect(signIn.disabled).toBe(false), { timeout: 2500 });
    expect(alert.textContent).not.toContain("You can try again");
    close();
  });

  it("asking again for a code too soon: the wait holds back the resend, never the code already sent", async () => {
    script.otpRequest.push(REFUSALS.cooldown);
    script.otpVerify.push(REFUSALS.expired);
    const { close } = renderSignIn();
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: EMAIL } });
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    // A code is on its way: the person is taken to the code step, told to wait for another one.
    const alert = await screen.findByRole("alert");
    expect(linesOf(alert)).toEqual([
      "Slow down",
      "A code was sent moments ago. Wait 25 s before asking for another.",
    ]);
    const resend = screen.getByRole("button", { name: "Resend code in 25 s" }) as HTMLButtonElement;
    expect(resend.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("Code"), { target: { value: "123456" } });
    const signIn = screen.getByRole("button", { name: "Sign in" }) as HTMLButtonElement;
    expect(signIn.disabled).toBe(false);
    fireEvent.click(signIn);
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("Code expired"));
    expect(received.map((r) => r.path)).toEqual(["otpRequest", "otpVerify"]);
    close();
  });
});
