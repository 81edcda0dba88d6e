import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/harness.js";

let app: TestApp;
let token: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp({ statusChecks: false });
  const signedIn = await app.signIn("artifact-headers@example.com");
  token = signedIn.access_token;
  const server = await app.request("POST", "/api/v1/servers", {
    token,
    body: { name: "s", url: "http://127.0.0.1:9/mcp", auth_method: "none" },
  });
  const session = await app.services.sessionStore.current(signedIn.user.id, server.body.id);
  const save = async (name: string, contentType: string, bytes: Buffer) =>
    (
      await app.services.artifacts.save({
        userId: signedIn.user.id,
        sessionId: session.id,
        name,
        contentType,
        bytes,
      })
    ).id;
  ids.png = await save("chart.png", "image/png", Buffer.from("89504e470d0a1a0a", "hex"));
  ids.pdf = await save("report.pdf", "application/pdf", Buffer.from("%PDF-1.7\n"));
  ids.html = await save("page.html", "text/html", Buffer.from("<script>alert(1)</script>"));
  ids.odd = await save('../../etc/"pass\nwd".txt', "text/plain; charset=utf-8", Buffer.from("ok"));
});
afterAll(async () => {
  await app.close();
});

const get = (id: string, query = "") =>
  fetch(`${app.url}/api/v1/artifacts/download/${id}${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });

describe("artifact downloads", () => {
  it("are attachments that no page may frame and that can run nothing", async () => {
    const res = await get(ids.png!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="chart.png"; filename*=UTF-8''chart.png`,
    );
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("content-security-policy")).toMatch(/sandbox/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("show in place only for safe types, framed by the client's own pages; PDFs unsandboxed for the viewer", async () => {
    const png = await get(ids.png!, "?disposition=inline");
    expect(png.headers.get("content-disposition")).toMatch(/^inline; /);
    expect(png.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(png.headers.get("content-security-policy")).toMatch(/frame-ancestors 'self'/);
    expect(png.headers.get("content-security-policy")).toMatch(/sandbox/);
    const pdf = await get(ids.pdf!, "?disposition=inline");
    expect(pdf.headers.get("content-disposition")).toMatch(/^inline; /);
    expect(pdf.headers.get("content-security-policy")).not.toMatch(/sandbox/);
    // HTML would run in the app's origin: it is always a download, sandboxed.
    const html = await get(ids.html!, "?disposition=inline");
    expect(html.headers.get("content-disposition")).toMatch(/^attachment; /);
    expect(html.headers.get("x-frame-options")).toBe("DENY");
    expect(html.headers.get("content-security-policy")).toMatch(/sandbox/);
  });

  it("name files safely whatever the tool called them", async () => {
    const res = await get(ids.odd!);
    const disposition = res.headers.get("content-disposition")!;
    expect(disposition).not.toMatch(/[\r\n]/);
    expect(disposition).not.toContain("/");
    expect(disposition).toMatch(/^attachment; filename="[^"]*"; filename\*=UTF-8''/);
    expect(await res.text()).toBe("ok");
  });
});
