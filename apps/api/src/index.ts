export { type AppOptions, type RunningApp, startApp } from "./app.js";
export { type Config, loadConfig } from "./config/config.js";
export type { AppRouter } from "./root.js";
