// The node-level data plane at start: ip_forward, loose rp_filter on the
// primary ENI's interface, and the VPC-CNI-SNAT chain (hostnet/node-setup.ts)
// that SNATs pod traffic leaving the VPC to the primary ENI's primary private
// IP, the only address an internet gateway translates (unless
// AWS_VPC_K8S_CNI_EXTERNALSNAT=true: then the chain is removed).
//
// The daemon runs this before it reports ready, so no pod gets an address
// before its traffic can leave the VPC. A failure (interface not there yet,
// iptables missing or refusing) keeps ipamd not ready with the reason, is
// logged as an error and retried with backoff, like the ENIConfig wait: never
// a crash loop without a reason. Idempotent: the chain is rebuilt atomically,
// so every restart converges on the settings it runs with.
//
// nodeSetupConfig is the pure decision; waitForNodeSetup the retry loop over
// injectable effects (hostNodeSetup: netlink + iptables in the node's namespace).

import type { ImdsApi, ImdsEni } from "../../cloud/imds/types.ts";
import type { Settings } from "../config/settings.ts";
import type { HostNamespace } from "../hostnet/host-ns.ts";
import { type NodeSetupConfig, setupNode } from "../hostnet/node-setup.ts";
import type { Logger } from "../log.ts";

/** What the node setup needs of the primary ENI, as IMDS shows it. */
export type PrimaryEniView = Pick<ImdsEni, "mac" | "localIpv4s" | "vpcCidrs">;

export type NodeSetupSettings = Pick<Settings, "externalSnat" | "excludeSnatCidrs" | "randomizeSnat">;

/** A primary ENI that cannot give a working SNAT configuration; the message says what is missing. */
export class NodeSetupError extends Error {
  override name = "NodeSetupError";
}

/**
 * setupNode's input from the settings and the primary ENI: SNAT to the ENI's
 * primary private IP (IMDS lists it first) for everything but its VPC CIDRs
 * and AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS; rp_filter on `primaryInterface`.
 */
export function nodeSetupConfig(
  s: NodeSetupSettings,
  primary: PrimaryEniView,
  primaryInterface: string,
): NodeSetupConfig {
  const primaryIp = primary.localIpv4s[0];
  if (primaryIp === undefined)
    throw new NodeSetupError(
      `IMDS lists no private IPv4 address on the primary ENI ${primary.mac} (local-ipv4s is empty)`,
    );
  // Without them every packet, VPC-internal too, would be SNATed. External SNAT removes the chain: no need.
  if (primary.vpcCidrs.length === 0 && !s.externalSnat)
    throw new NodeSetupError(
      `IMDS lists no VPC CIDR for the primary ENI ${primary.mac} (vpc-ipv4-cidr-blocks): ` +
        "SNAT cannot tell traffic inside the VPC from traffic leaving it",
    );
  return {
    primaryInterface,
    snat: {
      primaryIp,
      vpcCidrs: [...primary.vpcCidrs],
      excludeCidrs: [...s.excludeSnatCidrs],
      randomMode: s.randomizeSnat,
      externalSnat: s.externalSnat,
    },
  };
}

/** What the step does to the node; the daemon's default is hostNodeSetup. */
export interface NodeSetupEffects {
  /** The primary ENI as IMDS shows it now (re-read after a failure); undefined when IMDS does not list it. */
  primaryEni(mac: string): Promise<PrimaryEniView | undefined>;
  /** Name of the interface with this MAC in the node's namespace; undefined when there is none. */
  interfaceByMac(mac: string): Promise<string | undefined>;
  setupNode(cfg: NodeSetupConfig): Promise<void>;
}

/** Netlink and iptables in the node's namespace (ipamd's own with hostNetwork). */
export function hostNodeSetup(ns: HostNamespace, imds: Pick<ImdsApi, "eni">): NodeSetupEffects {
  return {
    primaryEni: (mac) => imds.eni(mac),
    interfaceByMac: async (mac) => (await ns.rtnl.linkByMac(mac))?.name,
    setupNode: (cfg) => setupNode(ns, cfg),
  };
}

/** Backoff between attempts; the last value repeats. */
export const NODE_SETUP_RETRY_MS: readonly number[] = [1000, 2000, 5000, 10_000, 30_000];

export interface NodeSetupWait {
  settings: NodeSetupSettings;
  /** The primary ENI from the daemon's IMDS read at start (the first attempt uses it). */
  primary: PrimaryEniView;
  effects: NodeSetupEffects;
  log: Logger;
  /** stop() during the wait: the wait throws the abort reason. */
  signal: AbortSignal;
  /** Each failure, in words for the not-ready reason. */
  onFailure?: (reason: string) => void;
  retryMs?: readonly number[];
}

/** Sets the node up, retrying until it works; resolves with what was applied. */
export async function waitForNodeSetup(w: NodeSetupWait): Promise<NodeSetupConfig> {
  const retryMs = w.retryMs ?? NODE_SETUP_RETRY_MS;
  const mac = w.primary.mac;
  let primary: PrimaryEniView | undefined = w.primary;
  for (let attempt = 1; ; attempt++) {
    w.signal.throwIfAborted();
    try {
      primary ??= await w.effects.primaryEni(mac);
      if (primary === undefined) throw new NodeSetupError(`IMDS no longer lists the primary ENI ${mac}`);
      const ifName = await w.effects.interfaceByMac(mac);
      if (ifName === undefined)
        throw new NodeSetupError(
          `no interface with the primary ENI's MAC ${mac} in the node's network namespace`,
        );
      const cfg = nodeSetupConfig(w.settings, primary, ifName);
      await w.effects.setupNode(cfg);
      w.log.info(
        {
          primaryInterface: ifName,
          ...(cfg.snat.externalSnat
            ? { snat: "external (AWS_VPC_K8S_CNI_EXTERNALSNAT=true): no SNAT chain on the node" }
            : {
                snatTo: cfg.snat.primaryIp,
                vpcCidrs: cfg.snat.vpcCidrs,
                excludeCidrs: cfg.snat.excludeCidrs,
                randomMode: cfg.snat.randomMode,
              }),
          attempt,
        },
        "node network set up (ip_forward, rp_filter, SNAT)",
      );
      return cfg;
    } catch (err) {
      w.signal.throwIfAborted();
      primary = undefined; // read IMDS again: what it said may be what was wrong
      const ms = retryMs[Math.min(attempt - 1, retryMs.length - 1)] ?? 1000;
      const message = (err as Error).message;
      w.onFailure?.(`node network setup (ip_forward, rp_filter, SNAT) failed, retrying: ${message}`);
      w.log.error(
        { err: message, attempt, retryInMs: ms },
        "node network setup (ip_forward, rp_filter, SNAT) failed; ipamd stays not ready and retries",
      );
      await sleep(ms, w.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
