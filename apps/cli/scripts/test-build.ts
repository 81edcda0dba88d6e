// @ts-expect-error a plain ES module without declarations
import { buildCli } from "./build.mjs";

/** The tests drive the command as users run it: the built file, with plain node. */
export default async function setup() {
  await buildCli();
}
