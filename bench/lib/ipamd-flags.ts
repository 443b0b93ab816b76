// The V8 flags production ipamd runs with (deploy/ipamd-node-flags, read by
// deploy/ipamd.sh), so a bench that hosts ipamd's code itself measures what
// production runs.
import { readFileSync } from "node:fs";

/** deploy/ipamd-node-flags: one flag per line, # comments. */
export function ipamdNodeFlags(): string[] {
  return readFileSync(new URL("../../deploy/ipamd-node-flags", import.meta.url), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}
