/** Every keyboard shortcut, as `?` and `/help` list them. Bindings live with their screens (`useKeys`). */
export const SHORTCUT_CATALOGUE: ReadonlyArray<{ group: string; keys: ReadonlyArray<[string, string]> }> = [
  {
    group: "Anywhere",
    keys: [
      ["?", "show these shortcuts"],
      ["g s", "go to servers"],
      ["g p", "go to profile"],
      ["Esc", "close a dialog, leave the prompt"],
    ],
  },
  {
    group: "Servers",
    keys: [
      ["j / ↓, k / ↑", "move between servers"],
      ["Enter", "open the server's session"],
      ["n", "add a server"],
      ["e", "edit the server"],
      ["t", "check the server's status now"],
      ["Delete", "delete the server (asks first)"],
    ],
  },
  {
    group: "Session",
    keys: [
      ["/ or i", "focus the prompt"],
      ["↑ / ↓ (prompt)", "previous / next command"],
      ["Tab (prompt)", "complete a /command"],
      ["←↑↓→ (graph)", "move between nodes"],
      ["a", "approve the selected node"],
      ["r", "reject the selected node"],
      ["A", "approve all pending nodes"],
      ["+ / - / 0", "zoom in, zoom out, fit the graph"],
      ["1 2 3 4", "graph, logs, artifacts, conversations"],
      ["f", "logs: follow the newest line"],
      ["x", "cancel everything running"],
    ],
  },
];
