// Loads the setns addon (see setns.c for why it exists).
import { createRequire } from "node:module";

export interface SetnsAddon {
  /** Moves the calling thread into the network namespace behind `fd`. */
  setNetns(fd: number): void;
}

const require = createRequire(import.meta.url);
export const setnsAddon: SetnsAddon = require("./build/setns.node") as SetnsAddon;
