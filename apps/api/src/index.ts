export type { AppRouter } from "./root.js";
export { startApp, type AppOptions, type RunningApp } from "./app.js";
export { loadConfig, type Config } from "./config/config.js";
