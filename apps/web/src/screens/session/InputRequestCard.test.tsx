import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InputRequestCard } from "./InputRequestCard.js";
import type { InputRequest } from "./session-state.js";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

/** A sampling request as the API sends it (`input_request` of kind sampling: demo `summarize_signups`). */
const asked =
  "Summarise these user signups for the last 7 days (2026-11-22 to 2026-11-28).\n" +
  'Per day: [{"date":"2026-11-22","count":41},{"date":"2026-11-23","count":38}]\n' +
  'By country: {"US":31,"DE":12}\nBy plan: {"free":60,"pro":19}\nBy source: {"organic":50,"ads":29}';
const sampling: InputRequest = {
  request_id: "req-s",
  node_id: "call",
  graph_id: "g1",
  kind: "sampling",
  message: "The server asks the model to continue this conversation.",
  system_prompt: "You are a concise product analyst. Answer in at most three sentences.",
  messages: [{ role: "user", text: asked }],
  max_tokens: 300,
  expires_at: "2026-11-28T10:10:00.000Z",
};

const url =
  "http://127.0.0.1:41234/connect/3b0d8a52-5f0e-4c1b-9a57-1f6f3e2c9d10?source=google_analytics&return=%2Fdone";
const urlRequest: InputRequest = {
  request_id: "req-u",
  node_id: "call",
  graph_id: "g1",
  kind: "url",
  message: 'Open this page to connect Google Analytics to the signups analysis, then press "Connect" there.',
  url,
};

describe("InputRequestCard: sampling", () => {
  it("shows what the model would be asked: system prompt, each message whole, the token cap", () => {
    render(<InputRequestCard request={sampling} outcome={undefined} onAnswer={() => true} />);
    const card = screen.getByTestId("input-request");
    expect(within(card).getByRole("heading").textContent).toBe(
      "? The server asks to use the model — node call",
    );
    expect(card.textContent).toContain("The server asks the model to continue this conversation.");
    expect(card.textContent).toContain(
      "System: You are a concise product analyst. Answer in at most three sentences.",
    );
    const messages = within(card).getAllByRole("listitem");
    expect(messages.map((m) => m.textContent)).toEqual([`user: ${asked}`]);
    expect(card.textContent).toContain("At most 300 tokens.");
  });

  it.each([
    ["Approve", "accept", "answered."],
    ["Decline", "decline", "declined."],
  ] as const)("%s sends %s once, then shows the outcome the server reports", (button, action, shown) => {
    const onAnswer = vi.fn(() => true);
    const { rerender } = render(
      <InputRequestCard request={sampling} outcome={undefined} onAnswer={onAnswer} />,
    );
    fireEvent.click(screen.getByRole("button", { name: button }));
    expect(onAnswer).toHaveBeenCalledTimes(1);
    expect(onAnswer).toHaveBeenCalledWith({ request_id: "req-s", action });
    // Sent: neither choice can be made again while the server answers.
    for (const name of ["Approve", "Decline"])
      expect((screen.getByRole("button", { name }) as HTMLButtonElement).disabled).toBe(true);
    rerender(<InputRequestCard request={sampling} outcome={action} onAnswer={onAnswer} />);
    expect(screen.getByRole("status").textContent).toBe(shown);
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("stays answerable when the answer could not be sent (the link is down)", () => {
    const onAnswer = vi.fn(() => false);
    render(<InputRequestCard request={sampling} outcome={undefined} onAnswer={onAnswer} />);
    fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    expect((screen.getByRole("button", { name: "Approve" }) as HTMLButtonElement).disabled).toBe(false);
  });
});

describe("InputRequestCard: URL", () => {
  it("shows the address whole and opens nothing until the person consents", () => {
    const open = vi.spyOn(window, "open").mockImplementation(() => null);
    const onAnswer = vi.fn(() => true);
    render(<InputRequestCard request={urlRequest} outcome={undefined} onAnswer={onAnswer} />);
    const card = screen.getByTestId("input-request");
    expect(card.querySelector(".url-whole code")!.textContent).toBe(url);
    expect(card.textContent).toContain("mcpdeck never opens this address itself.");
    expect(open).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Open in a new tab" }));
    expect(open).toHaveBeenCalledExactlyOnceWith(url, "_blank", "noopener,noreferrer");
    expect(onAnswer).toHaveBeenCalledExactlyOnceWith({ request_id: "req-u", action: "accept" });
  });

  it("declining opens nothing and answers decline", () => {
    const open = vi.spyOn(window, "open").mockImplementation(() => null);
    const onAnswer = vi.fn(() => true);
    render(<InputRequestCard request={urlRequest} outcome={undefined} onAnswer={onAnswer} />);
    fireEvent.click(screen.getByRole("button", { name: "Decline" }));
    expect(onAnswer).toHaveBeenCalledExactlyOnceWith({ request_id: "req-u", action: "decline" });
    expect(open).not.toHaveBeenCalled();
    expect((screen.getByRole("button", { name: "Open in a new tab" }) as HTMLButtonElement).disabled).toBe(
      true,
    );
  });
});
