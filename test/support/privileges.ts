// Shared guard for tests that need root (network namespaces, netlink, iptables).
// Usage:  describe.skipIf(!canUseNetns)("...", ...)  -- and the reason is printed once.
import { execFileSync } from "node:child_process";

function probeNetns(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: run `npm test` as root, or inside `unshare -Urnm`";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "iproute2 (`ip`) is not installed: run scripts/setup.sh as root";
  }
  return undefined;
}

/** Why namespace tests cannot run here, or undefined when they can. */
export const netnsSkipReason: string | undefined = probeNetns();
export const canUseNetns = netnsSkipReason === undefined;

if (!canUseNetns) {
  process.stderr.write(`SKIPPING network-namespace tests: ${netnsSkipReason}\n`);
}
