// Last line of defence: when the process exits or is interrupted before
// destroy() ran, remove what live clusters created. Synchronous (the 'exit'
// event allows nothing else) and limited to names each cluster registered.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { sweepSync } from "../../cloud/emulator/dataplane/registry.ts";

export interface SyncCleanup {
  /** Kill our ipamd processes, delete our namespaces and temp dir. Must not throw. */
  cleanupSync(): void;
}

const live = new Set<SyncCleanup>();
let installed = false;

function runAll(): void {
  for (const c of live) {
    try {
      c.cleanupSync();
    } catch {
      // keep going: every other cluster still needs its cleanup
    }
  }
  live.clear();
  sweepSync();
}

export function trackCluster(c: SyncCleanup): () => void {
  live.add(c);
  if (!installed) {
    installed = true;
    process.on("exit", runAll);
    for (const [sig, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      process.once(sig, () => {
        runAll();
        process.exit(code);
      });
    }
  }
  return () => live.delete(c);
}

export function killPidSync(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export function delNetnsSync(name: string): void {
  try {
    execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
  } catch {
    // already gone
  }
}

export function rmDirSync(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
