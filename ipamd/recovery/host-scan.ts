// When the checkpoint is lost, the host itself still says which pod
// addresses are in use: ADD left a `<podIp>/32 dev <hostVeth> scope link`
// route in the main table for every live pod. Those addresses are held by
// placeholder assignments (network RECOVERED_NETWORK) so they are never
// handed to a second pod. A placeholder goes away when the runtime DELs the
// pod (matched by the stable host veth name, see api/handlers.ts) or when
// its veth is gone from the host (the sweep below).
import type { Datastore } from "../datastore/datastore.ts";
import type { Assignment } from "../datastore/types.ts";
import type { HostNamespace } from "../hostnet/host-ns.ts";
import { type LinkInfo, type RouteInfo, RT_TABLE_MAIN } from "../hostnet/rtnl.ts";

/** Not a CNI network name a runtime can send (validated names never start with "_"... nor matter: it is only a tag). */
export const RECOVERED_NETWORK = "_recovered-from-host";

export interface HostPod {
  ip: string;
  hostVeth: string;
}

/** Pure: the pod /32 routes that point at one of our host veths. */
export function podRoutes(
  routes: readonly RouteInfo[],
  links: readonly LinkInfo[],
  vethPrefix: string,
): HostPod[] {
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const out: HostPod[] = [];
  for (const r of routes) {
    if (r.table !== RT_TABLE_MAIN || r.gateway !== undefined || !r.dst.endsWith("/32")) continue;
    const l = r.oif === undefined ? undefined : byIndex.get(r.oif);
    if (l === undefined || l.kind !== "veth" || !l.name.startsWith(vethPrefix)) continue;
    out.push({ ip: r.dst.slice(0, -3), hostVeth: l.name });
  }
  return out;
}

export async function scanHostPods(ns: HostNamespace, vethPrefix: string): Promise<HostPod[]> {
  const [routes, links] = await Promise.all([ns.rtnl.routes(RT_TABLE_MAIN), ns.rtnl.links()]);
  return podRoutes(routes, links, vethPrefix);
}

export function placeholder(p: HostPod, nowMs: number, eniId: string): Assignment {
  return {
    key: {
      network: RECOVERED_NETWORK,
      containerId: `recovered-${p.ip.replaceAll(".", "-")}`,
      ifName: "eth0",
    },
    ip: p.ip,
    eniId,
    pod: { namespace: "", name: "" },
    netns: "",
    hostVeth: p.hostVeth,
    assignedAtMs: nowMs,
  };
}

/** Holds every in-use address the datastore has on an ENI and nobody holds yet. Returns the placeholders. */
export function holdHostPods(ds: Datastore, pods: readonly HostPod[], nowMs: number): Assignment[] {
  const held: Assignment[] = [];
  for (const p of pods) {
    const eniId = ds.ownerOf(p.ip);
    if (eniId === undefined) continue; // not one of this node's pod addresses
    const a = placeholder(p, nowMs, eniId);
    if (ds.reinstate(a)) held.push(a);
  }
  return held;
}

/** Releases placeholders whose host veth is gone (the pod went away without a DEL we could match). */
export function sweepPlaceholders(
  ds: Datastore,
  liveVeths: ReadonlySet<string>,
  nowMs: number,
): Assignment[] {
  const out: Assignment[] = [];
  for (const a of ds.assignments()) {
    if (a.key.network !== RECOVERED_NETWORK || liveVeths.has(a.hostVeth)) continue;
    const r = ds.release(a.key, nowMs);
    if (r.ok) out.push(r.assignment);
  }
  return out;
}
