import { newId } from "@mcpdeck/db";
import { Resend } from "resend";

export interface OtpMail {
  to: string;
  code: string;
  expiresAt: Date;
}

export interface OutboxEntry {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  code?: string;
  created_at: string;
}

export interface Mailer {
  readonly kind: "resend" | "development";
  sendOtp(mail: OtpMail): Promise<void>;
  /** Development outbox (absent with Resend). */
  readonly outbox?: DevOutbox;
}

export interface MailLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const APP_NAME = "mcpdeck";
const SEND_TIMEOUT_MS = 10_000;

export function renderOtpMail({ code, expiresAt }: OtpMail, now: Date) {
  const minutes = Math.max(1, Math.round((expiresAt.getTime() - now.getTime()) / 60_000));
  const subject = `${code} is your ${APP_NAME} sign-in code`;
  const text = [
    `Your ${APP_NAME} sign-in code is: ${code}`,
    "",
    `It expires in ${minutes} minutes (at ${expiresAt.toISOString()}) and works once.`,
    "If you did not try to sign in, ignore this email.",
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:monospace;background:#0b0f0c;color:#c8facc;padding:24px">
<h1 style="font-size:18px">${APP_NAME}</h1>
<p>Your sign-in code is:</p>
<p style="font-size:32px;letter-spacing:8px;font-weight:bold">${code}</p>
<p>It expires in ${minutes} minutes (at ${expiresAt.toISOString()}) and works once.</p>
<p style="color:#7a9">If you did not try to sign in, ignore this email.</p>
</body></html>`;
  return { subject, text, html };
}

/** Newest-first ring buffer of development mail, read through `GET /api/v1/dev/outbox`. */
export class DevOutbox {
  private readonly entries: OutboxEntry[] = [];
  constructor(private readonly capacity = 200) {}
  add(entry: OutboxEntry) {
    this.entries.unshift(entry);
    this.entries.length = Math.min(this.entries.length, this.capacity);
  }
  list(to?: string): OutboxEntry[] {
    return to ? this.entries.filter((e) => e.to === to) : [...this.entries];
  }
}

export function createMailer(opts: {
  resendApiKey?: string;
  resendBaseUrl?: string;
  from: string;
  now: () => Date;
  log: MailLog;
}): Mailer {
  if (opts.resendApiKey) {
    const resend = new Resend(
      opts.resendApiKey,
      opts.resendBaseUrl ? { baseUrl: opts.resendBaseUrl } : undefined,
    );
    return {
      kind: "resend",
      async sendOtp(mail) {
        const { subject, text, html } = renderOtpMail(mail, opts.now());
        // Bounded: a hung provider must not pile up pending sends (delivery runs after the response).
        const { error } = await resend.emails.send(
          { from: opts.from, to: mail.to, subject, text, html },
          { signal: AbortSignal.timeout(SEND_TIMEOUT_MS) },
        );
        if (error) throw new Error(`Resend refused the message: ${error.name ?? "error"}: ${error.message}`);
      },
    };
  }
  const outbox = new DevOutbox();
  return {
    kind: "development",
    outbox,
    async sendOtp(mail) {
      const { subject, text, html } = renderOtpMail(mail, opts.now());
      outbox.add({
        id: newId(),
        to: mail.to,
        subject,
        text,
        html,
        code: mail.code,
        created_at: opts.now().toISOString(),
      });
      opts.log.info(
        { devMail: true, to: mail.to },
        `=== DEV MAIL === sign-in code for ${mail.to}: ${mail.code} (expires ${mail.expiresAt.toISOString()}) ===`,
      );
    },
  };
}
