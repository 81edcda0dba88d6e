export { type LiveApi, startLiveApi } from "./live-api.js";
export { startTcpProxy } from "./tcp-proxy.js";
