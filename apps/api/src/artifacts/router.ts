import { ArtifactLinkInput, ArtifactLinkOutput } from "@mcpdeck/contracts";
import { protectedProcedure } from "../trpc.js";

export const artifactsRouter = {
  /** A short-lived download link for plain browser links (`<a href>`, `<img src>`), no token needed. */
  link: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/artifacts/{artifact_id}/link",
        tags: ["artifacts"],
        summary: "A short-lived signed download link",
      },
    })
    .input(ArtifactLinkInput)
    .output(ArtifactLinkOutput)
    .query(({ ctx, input }) => ctx.services.sessions.artifactLink(ctx.user.id, input.artifact_id)),
};
