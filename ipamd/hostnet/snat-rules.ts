// The SNAT chain as iptables-restore text (pure, unit-tested).
//
// Equivalent of the AWS VPC CNI's AWS-SNAT-CHAIN-0: traffic to any VPC CIDR or
// excluded CIDR keeps the pod's address (RETURN); anything else that is not
// for a local address is SNATed to the primary ENI's IP, because only that
// address is NATed by the internet/NAT gateway and replies must come back to
// the primary ENI. One flat chain with RETURNs replaces AWS's older chain-per-
// CIDR ladder. Rebuilt atomically: with --noflush, declaring `:CHAIN` in the
// restore input flushes just that chain in the same transaction.
import { parseCidr, parseIpv4 } from "./addr.ts";
import { HostnetError } from "./types.ts";

export const SNAT_CHAIN = "VPC-CNI-SNAT";
const JUMP_COMMENT = "VPC-CNI SNAT";

/** prng = --random-fully, hashrandom = --random, none = sequential ports (AWS_VPC_K8S_CNI_RANDOMIZESNAT). */
export type SnatRandomMode = "prng" | "hashrandom" | "none";

export interface SnatConfig {
  /** The primary ENI's primary private IP: source of all off-VPC traffic. */
  primaryIp: string;
  vpcCidrs: string[];
  /** AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS */
  excludeCidrs?: string[];
  randomMode?: SnatRandomMode;
  /** AWS_VPC_K8S_CNI_EXTERNALSNAT: a NAT gateway does it; our chain is removed. */
  externalSnat?: boolean;
}

/** The POSTROUTING rule that sends traffic into our chain (without -A/-D). */
export const JUMP_RULE = `POSTROUTING -m comment --comment "${JUMP_COMMENT}" -j ${SNAT_CHAIN}`;

const RANDOM_FLAG: Record<SnatRandomMode, string> = {
  prng: " --random-fully",
  hashrandom: " --random",
  none: "",
};

export function validateSnatConfig(cfg: SnatConfig): void {
  parseIpv4(cfg.primaryIp);
  if (cfg.vpcCidrs.length === 0)
    throw new HostnetError("invalid", "SNAT needs at least one VPC CIDR", "EINVAL");
  for (const c of [...cfg.vpcCidrs, ...(cfg.excludeCidrs ?? [])]) parseCidr(c);
  const mode = cfg.randomMode ?? "prng";
  if (!(mode in RANDOM_FLAG)) throw new HostnetError("invalid", `invalid SNAT random mode ${mode}`, "EINVAL");
}

/** `-A <chain> ...` lines of our chain, in order. */
export function snatChainRules(cfg: SnatConfig): string[] {
  validateSnatConfig(cfg);
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [cidrs, why] of [
    [cfg.vpcCidrs, "VPC CIDR"],
    [cfg.excludeCidrs ?? [], "excluded CIDR"],
  ] as const) {
    for (const c of cidrs) {
      const net = parseCidr(c).text;
      if (seen.has(net)) continue;
      seen.add(net);
      lines.push(`-A ${SNAT_CHAIN} -d ${net} -m comment --comment "${why}" -j RETURN`);
    }
  }
  const random = RANDOM_FLAG[cfg.randomMode ?? "prng"];
  lines.push(
    `-A ${SNAT_CHAIN} -m comment --comment "off-VPC, SNAT" -m addrtype ! --dst-type LOCAL ` +
      `-j SNAT --to-source ${cfg.primaryIp}${random}`,
  );
  return lines;
}

/** What `iptables-save -t nat` says about our chain and jump. */
export interface NatState {
  chainExists: boolean;
  jumpCount: number;
}

export function parseNatSave(save: string): NatState {
  const lines = save.split("\n");
  return {
    chainExists: lines.some((l) => l.startsWith(`:${SNAT_CHAIN} `)),
    jumpCount: lines.filter((l) => l.startsWith("-A POSTROUTING") && l.endsWith(`-j ${SNAT_CHAIN}`)).length,
  };
}

/** Restore input that (re)builds the chain and leaves exactly one jump. */
export function applyRestore(cfg: SnatConfig, state: NatState): string {
  const out = ["*nat", `:${SNAT_CHAIN} - [0:0]`, ...snatChainRules(cfg)];
  if (state.jumpCount === 0) out.push(`-A ${JUMP_RULE}`);
  for (let i = 1; i < state.jumpCount; i++) out.push(`-D ${JUMP_RULE}`);
  out.push("COMMIT", "");
  return out.join("\n");
}

/** Restore input that removes the jump(s) and the chain; undefined when nothing is there. */
export function removeRestore(state: NatState): string | undefined {
  if (!state.chainExists && state.jumpCount === 0) return undefined;
  const out = ["*nat"];
  for (let i = 0; i < state.jumpCount; i++) out.push(`-D ${JUMP_RULE}`);
  if (state.chainExists) out.push(`:${SNAT_CHAIN} - [0:0]`, `-X ${SNAT_CHAIN}`);
  out.push("COMMIT", "");
  return out.join("\n");
}
