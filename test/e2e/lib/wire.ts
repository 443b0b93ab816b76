// What crosses the "wire" between a node and the VPC router: an nft counter in
// the ROUTER namespace on the router-side end of one ENI's veth, matching the
// pod addresses themselves. If pod traffic were encapsulated (or SNATed) the
// outer header would carry node addresses and the counter would stay at 0.
// countAtInternet: the same kind of counter on the internet host, behind the
// router's internet gateway (which source address arrives there).
import type { Cluster } from "../../harness/index.ts";
import { netnsExec } from "../../harness/proc.ts";

export interface WireMatch {
  /** ENI whose router-side link is watched. */
  eniId: string;
  saddr: string;
  daddr: string;
}

let tables = 0;

/**
 * Installs an nft counter in `netns` (prerouting, before anything else sees the
 * packet) for packets matching `match` (an nft expression), runs `traffic`,
 * and returns the packets counted. The table is removed after.
 */
async function countInNetns(netns: string, match: string, traffic: () => Promise<unknown>): Promise<number> {
  const table = `e2ewire${++tables}`;
  const nft = async (script: string) => {
    // nft reads the ruleset from stdin; netnsExec has none, so a shell feeds it.
    const r = await netnsExec(netns, ["sh", "-c", 'printf "%s\\n" "$0" | nft -f -', script]);
    if (r.code !== 0) throw new Error(`nft in ${netns}: ${r.stderr.trim()}\n${script}`);
  };
  await nft(
    [
      `table ip ${table} {`,
      "  chain c {",
      "    type filter hook prerouting priority -300; policy accept;",
      `    ${match} counter`,
      "  }",
      "}",
    ].join("\n"),
  );
  try {
    await traffic();
    const r = await netnsExec(netns, ["nft", "-j", "list", "table", "ip", table]);
    if (r.code !== 0) throw new Error(`nft list in ${netns}: ${r.stderr.trim()}`);
    const items = (
      JSON.parse(r.stdout) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] }
    ).nftables;
    const counter = items.flatMap((i) => i.rule?.expr ?? []).find((e) => e.counter)?.counter;
    if (!counter) throw new Error(`no counter in ${table}: ${r.stdout}`);
    return counter.packets;
  } finally {
    await netnsExec(netns, ["nft", "delete", "table", "ip", table]);
  }
}

/**
 * Installs a counter for packets arriving at the router from `eniId` with the
 * given inner addresses, runs `traffic`, and returns the packets counted.
 * The table lives in the cluster's own router namespace and is removed after.
 */
export async function countOnWire(
  cluster: Cluster,
  m: WireMatch,
  traffic: () => Promise<unknown>,
): Promise<number> {
  const plumbing = cluster.dataPlane.plumbingOf(m.eniId);
  if (!plumbing) throw new Error(`the data plane has no link for ${m.eniId}`);
  return countInNetns(
    cluster.dataPlane.routerNetns,
    `iifname "${plumbing.routerIf}" ip saddr ${m.saddr} ip daddr ${m.daddr}`,
    traffic,
  );
}

/**
 * Packets from `saddr` that reached the cluster's internet host (its own
 * namespace, behind the router's internet gateway) while `traffic` ran: which
 * source address the internet sees.
 */
export function countAtInternet(
  cluster: Cluster,
  saddr: string,
  traffic: () => Promise<unknown>,
): Promise<number> {
  return countInNetns(
    cluster.internet.netns,
    `ip saddr ${saddr} ip daddr ${cluster.internet.address}`,
    traffic,
  );
}
