// The warm-pool targets a node was started with (from its ipamd environment)
// and whether a pool view has settled on them. Same semantics as the README's
// settings table; "settled" also means nothing is left cooling down and no
// whole spare unit is held beyond the target (scale-down finished).
import type { ClusterNode } from "../../harness/index.ts";
import type { PoolView } from "./pool.ts";

export type Targets =
  | { mode: "ip"; warmIp: number; minIp: number }
  | { mode: "prefix"; warmPrefix: number }
  | { mode: "eni"; warmEni: number };

export function targetsOf(node: ClusterNode): Targets {
  const num = (k: string, dflt: number) => (node.env[k] ? Number(node.env[k]) : dflt);
  const warmIp = num("WARM_IP_TARGET", 0);
  const minIp = num("MINIMUM_IP_TARGET", 0);
  if (warmIp > 0 || minIp > 0) return { mode: "ip", warmIp, minIp };
  if (node.prefixDelegation) return { mode: "prefix", warmPrefix: num("WARM_PREFIX_TARGET", 1) };
  return { mode: "eni", warmEni: num("WARM_ENI_TARGET", 1) };
}

export function describeTargets(t: Targets): string {
  if (t.mode === "ip") return `WARM_IP_TARGET=${t.warmIp} MINIMUM_IP_TARGET=${t.minIp}`;
  if (t.mode === "prefix") return `WARM_PREFIX_TARGET=${t.warmPrefix}`;
  return `WARM_ENI_TARGET=${t.warmEni}`;
}

/**
 * The pool holds exactly what the targets ask for:
 * - ip: free == max(WARM_IP_TARGET, MINIMUM_IP_TARGET - assigned)
 * - prefix: exactly WARM_PREFIX_TARGET whole free /28s
 * - eni: at least WARM_ENI_TARGET ENIs' worth free, on the fewest ENIs that
 *   can hold assigned + that (exact when pods were not spread over ENIs that
 *   stay busy, e.g. after deleting all of a node's pods).
 */
export function settledOnTargets(t: Targets, v: PoolView): boolean {
  if (v.cooldown !== 0) return false;
  if (t.mode === "ip") return v.available === Math.max(t.warmIp, t.minIp - v.assigned, 0);
  if (t.mode === "prefix") return v.freePrefixes === t.warmPrefix;
  const want = t.warmEni * v.perEni;
  return v.available >= want && v.enis === Math.max(1, Math.ceil((v.assigned + want) / v.perEni));
}
