import type { CatalogTool } from "../../sessions/graph.js";

const CURRENCIES = ["USD", "EUR", "GBP", "JPY"];

/**
 * A second server of another style than the demo's: camelCase and kebab-case names, formats
 * (date, date-time, email, uri), arrays, booleans, numbers, shared enums and schema defaults.
 */
export const TRACKER_TOOLS: CatalogTool[] = [
  {
    name: "searchIssues",
    title: "Search issues",
    description: "Search the issue tracker for issues matching a text query.",
    inputSchema: {
      type: "object",
      properties: {
        query: { type: "string", description: "Full-text search terms." },
        state: {
          type: "string",
          enum: ["open", "closed", "all"],
          default: "open",
          description: "Which issues to include.",
        },
        labels: {
          type: "array",
          items: { type: "string", enum: ["bug", "feature", "docs", "security"] },
          description: "Only issues with all of these labels.",
        },
        createdAfter: {
          type: "string",
          format: "date",
          description: "Only issues created on or after this date.",
        },
        maxResults: {
          type: "integer",
          minimum: 1,
          maximum: 100,
          default: 20,
          description: "Maximum number of issues to return.",
        },
      },
      required: ["query"],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: "createIssue",
    title: "Create an issue",
    description: "Open a new issue in the tracker.",
    inputSchema: {
      type: "object",
      properties: {
        title: { type: "string", minLength: 1, description: "One-line summary of the issue." },
        body: { type: "string", description: "Markdown description of the issue." },
        priority: { type: "string", enum: ["low", "medium", "high", "urgent"] },
        dueDate: { type: "string", format: "date", description: "When it should be fixed by." },
        assignee: { type: "string", format: "email", description: "Email of the person to assign." },
      },
      required: ["title"],
    },
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
  {
    name: "deleteIssue",
    title: "Delete an issue",
    description: "Permanently delete an issue.",
    inputSchema: {
      type: "object",
      properties: { issueId: { type: "integer", minimum: 1, description: "Number of the issue to delete." } },
      required: ["issueId"],
    },
    annotations: { readOnlyHint: false, destructiveHint: true },
  },
  {
    name: "send-email",
    title: "Send an email",
    description: "Send an email message to one or more recipients.",
    inputSchema: {
      type: "object",
      properties: {
        to: {
          type: "array",
          items: { type: "string", format: "email" },
          minItems: 1,
          description: "Recipients.",
        },
        subject: { type: "string", minLength: 1 },
        body: { type: "string", description: "Plain-text body of the message." },
      },
      required: ["to", "subject", "body"],
    },
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
  {
    name: "fetch-web-page",
    title: "Fetch a web page",
    description: "Download a web page and return its text.",
    inputSchema: {
      type: "object",
      properties: {
        url: { type: "string", format: "uri", description: "Address of the page." },
        timeoutSeconds: {
          type: "number",
          minimum: 1,
          maximum: 60,
          description: "Give up after this many seconds.",
        },
      },
      required: ["url"],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: "summarizeText",
    title: "Summarize text",
    description: "Summarize a piece of text into a few sentences.",
    inputSchema: {
      type: "object",
      properties: {
        text: { type: "string", description: "The text to summarize." },
        maxWords: {
          type: "integer",
          minimum: 10,
          maximum: 500,
          description: "Maximum number of words in the summary.",
        },
        language: {
          type: "string",
          enum: ["en", "de", "fr", "es"],
          default: "en",
          description: "Language of the summary.",
        },
      },
      required: ["text"],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: "convertCurrency",
    title: "Convert currency",
    description: "Convert an amount of money between currencies at today's rate.",
    inputSchema: {
      type: "object",
      properties: {
        amount: { type: "number", exclusiveMinimum: 0 },
        from: { type: "string", enum: CURRENCIES },
        to: { type: "string", enum: CURRENCIES },
      },
      required: ["amount", "from", "to"],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: "schedule-meeting",
    title: "Schedule a meeting",
    description: "Put a meeting in the team calendar and invite the attendees.",
    inputSchema: {
      type: "object",
      properties: {
        topic: { type: "string", description: "What the meeting is about." },
        attendees: { type: "array", items: { type: "string", format: "email" } },
        start: { type: "string", format: "date-time", description: "When the meeting starts." },
        durationMinutes: { type: "integer", minimum: 15, maximum: 480, default: 30 },
        sendInvites: { type: "boolean", default: true, description: "Email invitations to the attendees." },
      },
      required: ["topic", "attendees", "start"],
    },
    annotations: { readOnlyHint: false, destructiveHint: false },
  },
  {
    name: "listRepositories",
    title: "List repositories",
    description: "List the organisation's code repositories.",
    inputSchema: {
      type: "object",
      properties: {
        org: { type: "string", description: "Organisation name." },
        visibility: { type: "string", enum: ["public", "private", "all"], default: "all" },
        includeArchived: { type: "boolean", default: false, description: "Also list archived repositories." },
      },
    },
    annotations: { readOnlyHint: true },
  },
];
