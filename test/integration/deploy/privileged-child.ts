// Run by daemonset-privileges.test.ts with only the privileges the DaemonSet
// grants, inside a node namespace: the host-side operations ipamd performs
// there, through ipamd's own code. Prints "ok", or the first error and exits 1.
//   node privileged-child.ts <pod netns path>
import { HostNamespace } from "../../../ipamd/hostnet/host-ns.ts";
import { setupNode } from "../../../ipamd/hostnet/node-setup.ts";
import { NetlinkPodPlumbing } from "../../../ipamd/hostnet/pod-plumbing.ts";

const podNetns = process.argv[2];
if (podNetns === undefined) throw new Error("usage: privileged-child.ts <pod netns path>");
const host = new HostNamespace(); // this process's own namespace: the node, as in production
const plumbing = new NetlinkPodPlumbing();
try {
  // ip_forward, rp_filter and the SNAT chain (iptables-restore), as at ipamd's start.
  await setupNode(host, {
    primaryInterface: "lo",
    snat: { primaryIp: "10.0.1.10", vpcCidrs: ["10.0.0.0/16"] },
  });
  // One pod's plumbing: setns into its namespace, veth, addresses, routes, rules.
  await plumbing.add({
    netnsPath: podNetns,
    ifName: "eth0",
    hostVethName: "privt0",
    podIp: "10.0.1.20",
    mtu: 9001,
    eniTable: 2,
  });
  process.stdout.write("ok\n");
} catch (e) {
  process.stdout.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  plumbing.close();
  host.close();
}
