import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { type ApiError, apiErrorOf } from "../api/errors.js";
import { useTRPC } from "../api/trpc.js";
import { useAuth } from "../auth/auth-context.js";
import { navigate, useLocation } from "../router.js";
import { useSecondsLeft } from "../ui/use-now.js";

/** A heading for each way a sign-in can fail; the API's message says the rest (attempts left, wait). */
const FAILURE_TITLES: Partial<Record<ApiError["code"], string>> = {
  OTP_INVALID: "Wrong code",
  OTP_EXPIRED: "Code expired",
  OTP_USED: "Code already used",
  OTP_EXHAUSTED: "Too many attempts",
  RATE_LIMITED: "Slow down",
  VALIDATION_FAILED: "Check what you typed",
};

export function SignIn({ notice }: { notice?: string }) {
  const trpc = useTRPC();
  const { tokens } = useAuth();
  const { query } = useLocation();
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [step, setStep] = useState<"email" | "code">("email");
  const [resendAt, setResendAt] = useState<number>();
  const [failure, setFailure] = useState<ApiError>();
  const [retryAt, setRetryAt] = useState<number>();
  const codeInput = useRef<HTMLInputElement>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  // The field of each step takes the focus as the step shows.
  useEffect(() => {
    (step === "email" ? emailInput : codeInput).current?.focus();
  }, [step]);
  const resendIn = useSecondsLeft(resendAt);
  const retryIn = useSecondsLeft(retryAt);
  const ids = { email: useId(), code: useId(), error: useId() };

  /**
   * Shows why a call failed. A rate limit's wait holds back what was refused: asking for a code (the
   * resend button counts it down) or signing in (the button and the alert count it down) — a wait
   * for another code never stops the person from entering the one already sent.
   */
  const fail = (error: unknown, refused: "request" | "verify") => {
    const shaped = apiErrorOf(error);
    setFailure(shaped);
    const until = shaped.retry_after ? Date.now() + shaped.retry_after * 1000 : undefined;
    if (refused === "verify") setRetryAt(until);
    else {
      setRetryAt(undefined);
      if (until !== undefined) setResendAt(until);
    }
  };

  const request = useMutation(
    trpc.auth.otpRequest.mutationOptions({
      onSuccess: (sent) => {
        setFailure(undefined);
        setResendAt(Date.now() + sent.cooldown_sec * 1000);
        setCode("");
        setStep("code");
      },
      onError: (error) => {
        fail(error, "request");
        const shaped = apiErrorOf(error);
        // Inside the cooldown a code is already on its way: let the person type it.
        if (shaped.code === "RATE_LIMITED" && step === "email" && shaped.retry_after) setStep("code");
      },
    }),
  );

  const verify = useMutation(
    trpc.auth.otpVerify.mutationOptions({
      onSuccess: (signedIn) => {
        tokens.signIn(signedIn.access_token);
        const next = query.get("next");
        const safeNext = next?.startsWith("/") && !next.startsWith("//") ? next : undefined;
        navigate(safeNext ?? (signedIn.is_new_user ? "/servers?welcome=1" : "/servers"), { replace: true });
      },
      onError: (error) => {
        fail(error, "verify");
        setCode("");
        codeInput.current?.focus();
      },
    }),
  );

  const sendCode = (event?: FormEvent) => {
    event?.preventDefault();
    setFailure(undefined);
    request.mutate({ email });
  };
  const signIn = (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    verify.mutate({ email, code });
  };

  const codeIsDead = failure && ["OTP_EXPIRED", "OTP_USED", "OTP_EXHAUSTED"].includes(failure.code);

  return (
    <main className="signin" aria-labelledby="signin-title">
      <div className="signin-box">
        <p className="brand" aria-hidden="true">
          mcpdeck
        </p>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">A one-time code by email; no password.</p>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}

        {step === "email" ? (
          <form onSubmit={sendCode} noValidate={false} aria-describedby={failure ? ids.error : undefined}>
            <label htmlFor={ids.email}>Email</label>
            <input
              id={ids.email}
              type="email"
              name="email"
              autoComplete="email"
              required
              ref={emailInput}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              placeholder="you@example.com"
            />
            <button type="submit" disabled={request.isPending || !email.trim()}>
              {request.isPending ? "Sending…" : "Send code"}
            </button>
          </form>
        ) : (
          <form onSubmit={signIn} aria-describedby={failure ? ids.error : undefined}>
            <p>
              Enter the 6-digit code sent to <strong>{email}</strong>.
            </p>
            <label htmlFor={ids.code}>Code</label>
            <input
              id={ids.code}
              ref={codeInput}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, "").slice(0, 6))}
              aria-invalid={failure?.code === "OTP_INVALID" ? true : undefined}
            />
            <button type="submit" disabled={verify.isPending || code.length !== 6 || retryIn > 0}>
              {verify.isPending ? "Signing in…" : "Sign in"}
            </button>
            <div className="row">
              <button
                type="button"
                className="link"
                onClick={() => sendCode()}
                disabled={resendIn > 0 || request.isPending}
                aria-live="polite"
              >
                {resendIn > 0
                  ? `Resend code in ${resendIn} s`
                  : codeIsDead
                    ? "Send a new code"
                    : "Resend code"}
              </button>
              <button
                type="button"
                className="link"
                onClick={() => {
                  setStep("email");
                  setFailure(undefined);
                }}
              >
                Use another email
              </button>
            </div>
          </form>
        )}

        {failure ? (
          <div id={ids.error} className="error" role="alert">
            <strong>{FAILURE_TITLES[failure.code] ?? "Could not sign in"}</strong>
            <p>{failure.message}</p>
            {failure.issues?.map((issue) => (
              <p key={issue.path}>
                {issue.path}: {issue.message}
              </p>
            ))}
            {retryIn > 0 ? <p>You can try again in {retryIn} s.</p> : null}
          </div>
        ) : null}
      </div>
    </main>
  );
}
