import {
  ClientMetadataDocument,
  CompleteInput,
  CompleteOutput,
  DeleteServerOutput,
  GetPromptInput,
  GetPromptOutput,
  ListPromptsOutput,
  ListResourcesOutput,
  ListResourceTemplatesOutput,
  ListServersInput,
  ListServersOutput,
  ListToolsOutput,
  McpServer,
  McpServerCreate,
  McpServerTest,
  McpServerUpdate,
  OAuthCallbackInput,
  OAuthStartOutput,
  ReadResourceInput,
  ReadResourceOutput,
  ServerId,
  ServerIdInput,
  ServerStatusInput,
  ServerStatusOutput,
  TestServerOutput,
} from "@mcpdeck/contracts";
import { z } from "zod";
import { protectedProcedure, publicProcedure } from "../trpc.js";
import { CALLBACK_ROUTE, CLIENT_METADATA_ROUTE } from "./oauth-urls.js";

const tags = ["servers"];

export const serversRouter = {
  list: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/servers",
        tags,
        summary: "Your MCP servers, oldest first",
      },
    })
    .input(ListServersInput)
    .output(ListServersOutput)
    .query(({ ctx, input }) => ctx.services.servers.list(ctx.user.id, input)),

  create: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/servers",
        tags,
        summary: "Register an MCP server",
        successDescription: "Created",
      },
    })
    .input(McpServerCreate)
    .output(McpServer)
    .mutation(async ({ ctx, input }) => {
      const server = await ctx.services.servers.create(ctx.user.id, input);
      ctx.response.status = 201;
      return server;
    }),

  update: protectedProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/servers/{server_id}",
        tags,
        summary: "Change a server",
      },
    })
    .input(McpServerUpdate.extend({ server_id: ServerId }))
    .output(McpServer)
    .mutation(({ ctx, input }) => {
      const { server_id, ...change } = input;
      return ctx.services.servers.update(ctx.user.id, server_id, change);
    }),

  delete: protectedProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/servers/{server_id}",
        tags,
        summary: "Remove a server",
      },
    })
    .input(ServerIdInput)
    .output(DeleteServerOutput)
    .mutation(({ ctx, input }) => ctx.services.servers.remove(ctx.user.id, input.server_id)),

  test: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/servers/test",
        tags,
        summary: "Try connecting without saving",
      },
    })
    .input(McpServerTest)
    .output(TestServerOutput)
    .mutation(({ ctx, input }) => ctx.services.servers.testConnection(input)),

  status: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/servers/{server_id}/status",
        tags,
        summary: "Live status",
      },
    })
    .input(ServerStatusInput)
    .output(ServerStatusOutput)
    .query(({ ctx, input }) =>
      ctx.services.statusChecker.statusOf(ctx.user.id, input.server_id, { refresh: input.refresh === true }),
    ),

  /**
   * Live status of the caller's servers over WebSocket: each server's current status, then every
   * change from any API process, so a client needs no polling. A state stream (each subscription
   * starts from the current status), so events carry no resumable ids.
   */
  statusEvents: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    yield* ctx.services.statusEvents.stream(ctx.user.id, signal);
  }),

  tools: protectedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/servers/{server_id}/tools",
        tags,
        summary: "Tools the server offers, live",
      },
    })
    .input(ServerIdInput)
    .output(ListToolsOutput)
    .query(({ ctx, input }) => ctx.services.servers.listTools(ctx.user.id, input.server_id)),

  resources: protectedProcedure
    .input(ServerIdInput)
    .output(ListResourcesOutput)
    .query(({ ctx, input }) => ctx.services.servers.listResources(ctx.user.id, input.server_id)),

  resourceTemplates: protectedProcedure
    .input(ServerIdInput)
    .output(ListResourceTemplatesOutput)
    .query(({ ctx, input }) => ctx.services.servers.listResourceTemplates(ctx.user.id, input.server_id)),

  readResource: protectedProcedure
    .input(ReadResourceInput)
    .output(ReadResourceOutput)
    .query(({ ctx, input }) => ctx.services.servers.readResource(ctx.user.id, input.server_id, input.uri)),

  prompts: protectedProcedure
    .input(ServerIdInput)
    .output(ListPromptsOutput)
    .query(({ ctx, input }) => ctx.services.servers.listPrompts(ctx.user.id, input.server_id)),

  getPrompt: protectedProcedure
    .input(GetPromptInput)
    .output(GetPromptOutput)
    .query(({ ctx, input }) =>
      ctx.services.servers.getPrompt(ctx.user.id, input.server_id, input.name, input.arguments),
    ),

  /** Suggestions for a prompt argument or a resource template variable. */
  complete: protectedProcedure
    .input(CompleteInput)
    .output(CompleteOutput)
    .query(({ ctx, input }) => {
      const { server_id, ...request } = input;
      return ctx.services.servers.complete(ctx.user.id, server_id, request);
    }),

  oauthStart: protectedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/servers/{server_id}/oauth/start",
        tags,
        summary: "Begin OAuth authorization",
      },
    })
    .input(ServerIdInput)
    .output(OAuthStartOutput)
    .mutation(({ ctx, input }) => ctx.services.servers.startOAuth(ctx.user.id, input.server_id)),
};

export const oauthRouter = {
  /** mcpdeck's Client ID Metadata Document: its URL is mcpdeck's client_id where supported. */
  clientMetadata: publicProcedure
    .meta({
      openapi: {
        method: "GET",
        path: CLIENT_METADATA_ROUTE,
        tags,
        summary: "OAuth Client ID Metadata Document (mcpdeck's client_id URL)",
      },
    })
    .input(z.void())
    .output(ClientMetadataDocument)
    .query(({ ctx }) => {
      ctx.response.headers["cache-control"] = "public, max-age=3600";
      return ctx.services.servers.clientMetadataDocument();
    }),

  callback: publicProcedure
    .meta({
      openapi: {
        method: "GET",
        path: CALLBACK_ROUTE,
        tags,
        summary: "OAuth redirect target; 302 back to the web client",
      },
    })
    .input(OAuthCallbackInput.extend({ iss: z.string().max(2048).optional() }))
    .output(z.object({ location: z.string() }))
    .query(async ({ ctx, input }) => {
      const location = await ctx.services.servers.finishOAuth(input);
      ctx.response.status = 302;
      ctx.response.headers.location = location;
      return { location };
    }),
};
