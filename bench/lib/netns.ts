// Batches of throwaway pod namespaces for benches: created before measuring
// (unmeasured), unique names, deleted at the end and on Ctrl-C.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface NetnsBatch {
  names: string[];
  paths: string[];
  deleteAll(): void;
}

const live = new Set<string>();
let hooked = false;

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

function delOne(name: string): void {
  spawnSync("ip", ["netns", "del", name]);
  live.delete(name);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const n of [...live]) delOne(n);
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => process.exit(130));
  }
}

/** `count` namespaces named vcb-<tag>-<run>-<i>, each with lo up. */
export function createNetnsBatch(tag: string, count: number): NetnsBatch {
  hookExit();
  const run = randomBytes(2).toString("hex");
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `vcb-${tag}-${run}-${i}`;
      ip(["netns", "add", name]);
      live.add(name);
      names.push(name);
      ip(["-n", name, "link", "set", "lo", "up"]);
    }
  } catch (e) {
    for (const n of names) delOne(n);
    throw e;
  }
  return {
    names,
    paths: names.map((n) => `/var/run/netns/${n}`),
    deleteAll: () => {
      for (const n of names) delOne(n);
    },
  };
}
