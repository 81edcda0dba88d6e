import { ArtifactId } from "@mcpdeck/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import type { BuildContext } from "../http/context.js";
import { enforceRateLimit } from "../policy/rate-limit.js";
import type { AppServices } from "../services.js";
import { ARTIFACT_DOWNLOAD_PATH } from "./service.js";

/** Types a browser may show in place (`?disposition=inline`); anything else always downloads. */
const INLINE_TYPES =
  /^(image\/(png|jpeg|gif|webp)|audio\/(wav|x-wav|mpeg|ogg)|application\/pdf|text\/plain|text\/csv|application\/json)(;|$)/;

/**
 * Shown in place, an artifact can never run script or load anything, and only the web client's own
 * pages may frame it (the client previews files in an iframe); a download is never framed. PDFs are
 * left unsandboxed: browsers refuse to draw a PDF in a sandboxed document, and their viewer runs it
 * in its own process, never with this origin's scripts.
 */
function artifactPolicy(inline: boolean, contentType: string): string {
  const policy = ["default-src 'none'", "img-src 'self'", "media-src 'self'"];
  policy.push(inline ? "frame-ancestors 'self'" : "frame-ancestors 'none'");
  if (!contentType.startsWith("application/pdf")) policy.push("sandbox");
  return policy.join("; ");
}

/** RFC 6266 Content-Disposition with a plain fallback name and the exact UTF-8 one. */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * `GET /api/v1/artifacts/download/{artifact_id}`: the artifact's bytes, for the bearer token's user
 * or for whoever holds a signed link (`?exp=&sig=`, from `artifacts.link`). Another user's artifact
 * is a 404. Bytes are binary, so this is a plain route — it passes the same rate limit, authentication
 * and error shape as the procedures.
 */
export function registerArtifactDownload(
  app: FastifyInstance,
  deps: { services: Pick<AppServices, "artifacts" | "auth" | "rateLimits">; buildContext: BuildContext },
) {
  const { services } = deps;
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = deps.buildContext(req.raw);
    try {
      await enforceRateLimit(ctx, "api");
    } finally {
      reply.headers(ctx.response.headers);
    }
    const { artifact_id: rawId } = req.params as { artifact_id: string };
    const query = req.query as { exp?: string; sig?: string; disposition?: string };
    const id = ArtifactId.safeParse(rawId);
    if (!id.success) throw new AppError("NOT_FOUND", "Artifact not found.");
    let row: Awaited<ReturnType<typeof services.artifacts.getOwned>>;
    if (typeof query.sig === "string" && typeof query.exp === "string") {
      row = await services.artifacts.getSigned(id.data, Number(query.exp), query.sig);
    } else {
      const token = ctx.authorization?.startsWith("Bearer ") ? ctx.authorization.slice(7).trim() : "";
      if (!token) {
        throw new AppError(
          "UNAUTHENTICATED",
          "Send the access token as `Authorization: Bearer <token>`, or use a signed link from artifacts.link.",
        );
      }
      const { user } = await services.auth.authenticate(token);
      row = await services.artifacts.getOwned(user.id, id.data);
    }
    const bytes = await services.artifacts.bytes(row);
    const inline = query.disposition === "inline" && INLINE_TYPES.test(row.contentType);
    if (inline) reply.header("x-frame-options", "SAMEORIGIN");
    return reply
      .header("content-type", row.contentType)
      .header("content-length", String(bytes.length))
      .header("content-disposition", disposition(inline ? "inline" : "attachment", row.name))
      .header("cache-control", "private, max-age=300")
      .header("etag", `"${row.sha256}"`)
      .header("content-security-policy", artifactPolicy(inline, row.contentType))
      .send(bytes);
  };
  app.get(`${ARTIFACT_DOWNLOAD_PATH}/:artifact_id`, handler);
}
