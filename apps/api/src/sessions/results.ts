import type { ArtifactService } from "../artifacts/service.js";
import type { ContentBlock, ServerOwner, ToolAccess, ToolResult } from "./tools.js";

/** Text results longer than this are also saved as a downloadable artifact. */
export const LARGE_TEXT_CHARS = 32 * 1024;
/** Text kept in the database per result (references read it); the artifact keeps all of it. */
export const STORED_TEXT_CHARS = 1024 * 1024;
export const PREVIEW_CHARS = 500;

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/svg+xml": "svg",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/mpeg": "mp3",
  "audio/ogg": "ogg",
  "application/pdf": "pdf",
  "application/json": "json",
  "text/plain": "txt",
  "text/csv": "csv",
  "text/markdown": "md",
  "text/html": "html",
};

function nameFor(uri: string | undefined, tool: string, index: number, mimeType: string | undefined): string {
  if (uri) {
    // The last segment of the URI, whatever its scheme (`report://q3.pdf`, `file:///tmp/a.csv`).
    const last = uri.split(/[?#]/)[0]!.split("/").pop() ?? "";
    let decoded = last;
    try {
      decoded = decodeURIComponent(last);
    } catch {
      // keep it as written
    }
    if (/\.[A-Za-z0-9]{1,8}$/.test(decoded)) return decoded;
  }
  const ext = EXTENSIONS[(mimeType ?? "").split(";")[0]!.trim().toLowerCase()] ?? "bin";
  return `${tool}-${index + 1}.${ext}`;
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);

export function previewOf(result: ToolResult): string {
  const text = result.content
    .filter((c): c is { type: "text"; text: string } => c.type === "text" && typeof c.text === "string")
    .map((c) => c.text)
    .join("\n");
  let preview = text;
  if (!preview && result.structuredContent !== undefined) preview = JSON.stringify(result.structuredContent);
  if (!preview) {
    preview = result.content
      .map((c) => {
        const artifact = (c as { artifact?: { name: string; size: number } }).artifact;
        return artifact ? `${c.type}: ${artifact.name} (${kb(artifact.size)})` : c.type;
      })
      .join(", ");
  }
  return preview.length > PREVIEW_CHARS ? `${preview.slice(0, PREVIEW_CHARS - 1)}…` : preview;
}

export interface CaptureContext {
  owner: ServerOwner;
  sessionId: string;
  graphId: string;
  nodeId: string;
  tool: string;
}

/**
 * Turns what a tool returned into what is stored: images, audio, embedded resources (text or blob)
 * and resource links become artifacts (the stored result keeps a reference to each instead of the
 * bytes), large text is also saved as a file, and the preview is computed. Failures to save one
 * artifact are reported and do not lose the rest of the result.
 */
export async function captureResult(
  result: ToolResult,
  ctx: CaptureContext,
  deps: { artifacts: ArtifactService; tools: ToolAccess; warn: (message: string) => void },
): Promise<{ stored: ToolResult; preview: string }> {
  const save = async (index: number, bytes: Buffer, mimeType: string | undefined, uri?: string) => {
    const row = await deps.artifacts.save({
      userId: ctx.owner.userId,
      sessionId: ctx.sessionId,
      graphId: ctx.graphId,
      nodeId: ctx.nodeId,
      name: nameFor(uri, ctx.tool, index, mimeType),
      contentType: mimeType ?? "application/octet-stream",
      bytes,
    });
    return { id: row.id, name: row.name, size: row.size, content_type: row.contentType };
  };
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      deps.warn(`Could not keep ${what}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };

  const content: ContentBlock[] = [];
  for (const [i, block] of result.content.entries()) {
    if ((block.type === "image" || block.type === "audio") && typeof block.data === "string") {
      const { data, ...rest } = block as { type: string; data: string; mimeType: string };
      const artifact = await attempt(`the ${block.type}`, () =>
        save(i, Buffer.from(data, "base64"), rest.mimeType),
      );
      content.push(artifact ? { ...rest, artifact } : block);
    } else if (block.type === "resource" && typeof block.resource === "object" && block.resource !== null) {
      const resource = block.resource as { uri: string; mimeType?: string; text?: string; blob?: string };
      const bytes =
        typeof resource.blob === "string"
          ? Buffer.from(resource.blob, "base64")
          : Buffer.from(resource.text ?? "", "utf8");
      const artifact = await attempt(`the resource ${resource.uri}`, () =>
        save(i, bytes, resource.mimeType ?? (resource.blob ? undefined : "text/plain"), resource.uri),
      );
      const { blob: _blob, ...kept } = resource;
      const text = kept.text !== undefined ? kept.text.slice(0, STORED_TEXT_CHARS) : undefined;
      content.push({
        type: "resource",
        resource: { ...kept, ...(text !== undefined ? { text } : {}) },
        ...(artifact ? { artifact } : {}),
      });
    } else if (block.type === "resource_link" && typeof block.uri === "string") {
      const uri = block.uri;
      const artifact = await attempt(`the linked resource ${uri}`, async () => {
        const read = await deps.tools.readResource(ctx.owner, uri);
        if (!read) return undefined;
        return save(i, read.bytes, read.mimeType ?? (block.mimeType as string | undefined), uri);
      });
      content.push(artifact ? { ...block, artifact } : block);
    } else if (
      block.type === "text" &&
      typeof block.text === "string" &&
      block.text.length > LARGE_TEXT_CHARS
    ) {
      const text = block.text;
      const artifact = await attempt("the text result", () =>
        save(i, Buffer.from(text, "utf8"), "text/plain"),
      );
      content.push({
        type: "text",
        text: text.slice(0, STORED_TEXT_CHARS),
        ...(artifact ? { artifact } : {}),
      });
    } else {
      content.push(block);
    }
  }
  const stored: ToolResult = {
    content,
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
    ...(result.isError ? { isError: true } : {}),
  };
  return { stored, preview: previewOf(stored) };
}
