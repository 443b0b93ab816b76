// CHECK for one pod: compares the kernel's state with what ADD creates and
// reports each difference in words a person can act on.

import { openPodNetns, openRtnlIn } from "./netns.ts";
import { RT_TABLE_MAIN, type Rtnl } from "./rtnl.ts";
import { fromRules, POD_GATEWAY, TO_POD_RULE_PRIORITY } from "./spec.ts";
import { type CheckProblem, HostnetError, type PodNetworkSpec } from "./types.ts";

async function checkHost(host: Rtnl, spec: PodNetworkSpec, out: CheckProblem[]): Promise<string | undefined> {
  const ip32 = `${spec.podIp}/32`;
  const link = await host.linkByName(spec.hostVethName);
  if (!link) {
    out.push({ what: "host-veth", message: `host veth ${spec.hostVethName} is missing` });
  } else {
    if (!link.up) out.push({ what: "host-veth", message: `host veth ${spec.hostVethName} is down` });
    const routes = await host.routes(RT_TABLE_MAIN);
    if (!routes.some((r) => r.dst === ip32 && r.oif === link.index && r.scope === "link")) {
      out.push({
        what: "route",
        message: `host route ${ip32} dev ${spec.hostVethName} scope link is missing`,
      });
    }
  }
  const rules = await host.rules();
  if (
    !rules.some((r) => r.priority === TO_POD_RULE_PRIORITY && r.dst === ip32 && r.table === RT_TABLE_MAIN)
  ) {
    out.push({ what: "rule", message: `rule "to ${spec.podIp} lookup main pref 512" is missing` });
  }
  for (const want of fromRules(spec)) {
    const dst = want.dst;
    if (
      !rules.some(
        (r) => r.priority === want.priority && r.src === ip32 && r.table === want.table && r.dst === dst,
      )
    ) {
      const to = dst === undefined ? "" : ` to ${dst}`;
      out.push({
        what: "rule",
        message: `rule "from ${spec.podIp}${to} lookup ${want.table} pref 1536" is missing`,
      });
    }
  }
  return link?.mac;
}

async function checkPodSide(
  podNl: Rtnl,
  spec: PodNetworkSpec,
  hostMac: string | undefined,
  out: CheckProblem[],
) {
  const link = await podNl.linkByName(spec.ifName);
  if (!link) {
    out.push({ what: "interface", message: `${spec.ifName} is missing in ${spec.netnsPath}` });
    return;
  }
  if (!link.up) out.push({ what: "interface", message: `${spec.ifName} is down` });
  // Neither the MTU nor which table the routes are in is checked: "the plugin
  // must allow for a later chained plugin to have modified networking
  // resources" (CNI spec, CHECK), and tuning sets MTUs, sbr moves routes to a
  // table of its own. That the routes exist at all is still checked.
  const [addrs, routes, neigh] = await Promise.all([
    podNl.addresses(link.index),
    podNl.routes(),
    podNl.neighbours(link.index),
  ]);
  if (!addrs.some((a) => a.ip === spec.podIp && a.prefix === 32)) {
    const have = addrs.map((a) => `${a.ip}/${a.prefix}`).join(", ") || "none";
    out.push({ what: "address", message: `${spec.ifName} lacks ${spec.podIp}/32 (has ${have})` });
  }
  if (!routes.some((r) => r.dst === `${POD_GATEWAY}/32` && r.oif === link.index && r.scope === "link")) {
    out.push({ what: "route", message: `route ${POD_GATEWAY} dev ${spec.ifName} scope link is missing` });
  }
  if (!routes.some((r) => r.dst === "0.0.0.0/0" && r.gateway === POD_GATEWAY && r.oif === link.index)) {
    out.push({ what: "route", message: `default route via ${POD_GATEWAY} dev ${spec.ifName} is missing` });
  }
  const gw = neigh.find((n) => n.ip === POD_GATEWAY);
  if (!gw?.permanent || (hostMac !== undefined && gw.mac !== hostMac)) {
    out.push({
      what: "neighbour",
      message: `permanent neighbour ${POD_GATEWAY} -> ${hostMac ?? "host veth MAC"} is missing or wrong`,
    });
  }
}

export async function checkPod(host: Rtnl, spec: PodNetworkSpec): Promise<CheckProblem[]> {
  const out: CheckProblem[] = [];
  const hostMac = await checkHost(host, spec, out);
  let pod: ReturnType<typeof openPodNetns>;
  try {
    pod = openPodNetns(spec.netnsPath);
  } catch (err) {
    if (!(err instanceof HostnetError && err.kind === "no-netns")) throw err;
    out.push({ what: "interface", message: `netns ${spec.netnsPath} is gone` });
    return out;
  }
  try {
    const podNl = openRtnlIn(pod.fd);
    try {
      await checkPodSide(podNl, spec, hostMac, out);
    } finally {
      podNl.close();
    }
  } finally {
    pod.close();
  }
  return out;
}
