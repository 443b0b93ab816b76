// Node-level data plane set up once by ipamd: forwarding, reverse-path
// filtering and SNAT for pod traffic leaving the VPC. Everything removable.
import { spawn } from "node:child_process";
import type { HostNamespace } from "./host-ns.ts";
import { isValidIfName } from "./naming.ts";
import { applyRestore, parseNatSave, removeRestore, type SnatConfig } from "./snat-rules.ts";
import { HostnetError } from "./types.ts";

export interface NodeSetupConfig {
  /** Primary ENI's interface: rp_filter is set loose (2) on it, as the AWS VPC CNI does. */
  primaryInterface?: string;
  snat: SnatConfig;
}

/**
 * Runs an iptables tool in the host namespace: `nsenter --net=<path>` when
 * the host side is a namespace path (tests), directly otherwise (production).
 */
function runIn(ns: HostNamespace, cmd: string, args: string[], input?: string): Promise<string> {
  const [file, argv] = ns.path === undefined ? [cmd, args] : ["nsenter", [`--net=${ns.path}`, cmd, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", (err) => reject(new HostnetError("iptables", `${cmd}: ${err.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new HostnetError("iptables", `${cmd} ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
    });
    // A tool that exits early (bad input) closes its stdin: report its exit code, not EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}

/**
 * iptables-restore arguments: --noflush (only our chain is declared, so only it
 * is flushed) and -w: with the legacy backend, wait up to 5 s for the xtables
 * lock another tool (kube-proxy) holds instead of failing at once (nft ignores it).
 */
const RESTORE_ARGS = ["--noflush", "-w", "5"];

async function natState(ns: HostNamespace) {
  return parseNatSave(await runIn(ns, "iptables-save", ["-t", "nat"]));
}

/** Builds (or rebuilds) the SNAT chain atomically; removes it when externalSnat is on. */
export async function applySnat(ns: HostNamespace, cfg: SnatConfig): Promise<void> {
  if (cfg.externalSnat) return removeSnat(ns);
  const text = applyRestore(cfg, await natState(ns)); // validates cfg before anything runs
  await runIn(ns, "iptables-restore", RESTORE_ARGS, text);
}

export async function removeSnat(ns: HostNamespace): Promise<void> {
  const text = removeRestore(await natState(ns));
  if (text !== undefined) await runIn(ns, "iptables-restore", RESTORE_ARGS, text);
}

export async function setupNode(ns: HostNamespace, cfg: NodeSetupConfig): Promise<void> {
  if (cfg.primaryInterface !== undefined && !isValidIfName(cfg.primaryInterface)) {
    throw new HostnetError(
      "invalid",
      `invalid primaryInterface ${JSON.stringify(cfg.primaryInterface)}`,
      "EINVAL",
    );
  }
  ns.sysctl("net/ipv4/ip_forward", "1");
  if (cfg.primaryInterface !== undefined) ns.sysctl(`net/ipv4/conf/${cfg.primaryInterface}/rp_filter`, "2");
  await applySnat(ns, cfg.snat);
}

/** Undoes the SNAT chain. ip_forward is left on: other node components (kube-proxy) rely on it too. */
export async function teardownNode(ns: HostNamespace): Promise<void> {
  await removeSnat(ns);
}
