#!/usr/bin/env node
// The sign-in route's JavaScript must stay within budget: everything index.html makes the browser
// load before the sign-in screen shows (the entry and its preloaded chunks), gzipped. The signed-in
// screens and the session view are lazy chunks and load only after signing in. Prints every chunk.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 150;
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map(
  (m) => m[1],
);
if (initial.length === 0) throw new Error("no script in dist/index.html: build the web client first");

const kb = (bytes) => bytes / 1024;
const gzipped = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
for (const file of readdirSync(join(dist, "assets"))
  .filter((f) => f.endsWith(".js"))
  .sort()) {
  const tag = initial.includes(`assets/${file}`) ? "sign-in" : "lazy";
  console.log(
    `${tag.padEnd(8)} ${file.padEnd(36)} ${kb(gzipped(`assets/${file}`))
      .toFixed(1)
      .padStart(7)} KB gzip`,
  );
}
const total = initial.reduce((sum, file) => sum + gzipped(file), 0);
console.log(`sign-in route JavaScript: ${kb(total).toFixed(1)} KB gzip (budget ${BUDGET_KB} KB)`);
if (kb(total) > BUDGET_KB) {
  console.error(`over budget by ${(kb(total) - BUDGET_KB).toFixed(1)} KB: move code behind a lazy import`);
  process.exit(1);
}
