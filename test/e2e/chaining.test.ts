// vpc-cni as the first plugin of a conflist, followed by Debian's reference
// tuning, portmap and bandwidth plugins, with the REAL ipamd doing the
// plumbing (test/integration/cni/chaining.test.ts does the same against a
// stand-in ipamd). The reference plugins speak CNI up to 1.0.0, so the
// conflist says 1.0.0. Checked: each plugin's effect (sysctl in the pod,
// tbf on the host veth, DNAT in the node), traffic through the host port from
// a pod on another node, CHECK, and DEL in reverse leaving nothing behind.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trackCluster } from "../harness/cleanup.ts";
import { type Cluster, createCluster, type Pod } from "../harness/index.ts";
import { runNames } from "../harness/names.ts";
import { createRuntime, type Runtime } from "../harness/runtime.ts";
import { e2eReady } from "./lib/world.ts";

const REF = "/usr/lib/cni";
const haveRef = ["tuning", "portmap", "bandwidth"].every((p) => existsSync(`${REF}/${p}`));
if (e2eReady && !haveRef)
  process.stderr.write(`SKIPPING e2e chaining: reference plugins missing in ${REF}\n`);

const BUILD = fileURLToPath(new URL("../../build", import.meta.url));
const HOST_PORT = 18080;
const POD_PORT = 8080;

describe.skipIf(!e2eReady || !haveRef)("e2e: chained with tuning, portmap, bandwidth (real ipamd)", () => {
  let cluster: Cluster;
  let rt: Runtime;
  let untrack: () => void = () => undefined;
  let web: Pod; // on node a, behind the host port
  let client: Pod; // on node b

  beforeAll(async () => {
    cluster = await createCluster({
      nodes: [
        { name: "a", instanceType: "t3.medium" },
        { name: "b", instanceType: "t3.medium", subnet: 1 },
      ],
      timeScale: 0.05,
      cniVersion: "1.0.0",
      chain: [
        // mtu: a chained plugin changing what vpc-cni set up; CHECK must allow it (CNI spec).
        { type: "tuning", mtu: 1400, sysctl: { "net.core.somaxconn": "777" } },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
        { type: "bandwidth", capabilities: { bandwidth: true } },
      ],
    });
    // A second runtime over the same nodes whose pods carry capability args, as
    // kubelet passes hostPort and bandwidth annotations.
    const names = runNames(`${cluster.prefix}c`);
    rt = createRuntime({
      names,
      cniPath: [BUILD, REF],
      nodes: () => cluster.nodes,
      tryAgainForMs: 30_000,
      capabilityArgs: {
        portMappings: [{ hostPort: HOST_PORT, containerPort: POD_PORT, protocol: "tcp" }],
        bandwidth: {
          ingressRate: 100_000_000,
          ingressBurst: 1_000_000,
          egressRate: 100_000_000,
          egressBurst: 1_000_000,
        },
      },
    });
    untrack = trackCluster({ cleanupSync: () => undefined });
    web = await rt.addPod(cluster.node("a"), { namespace: "chain", name: "web" });
    client = await cluster.addPod("b", { namespace: "chain", name: "client" });
  });

  afterAll(async () => {
    for (const p of [...(rt?.pods.values() ?? [])]) await rt.delPod(p).catch(() => undefined);
    untrack();
    await cluster?.destroy();
  });

  it("every plugin of the chain did its part", async () => {
    const sysctl = await cluster.exec(web, ["cat", "/proc/sys/net/core/somaxconn"]);
    expect(sysctl.stdout.trim()).toBe("777");
    expect((await cluster.exec(web, ["cat", "/sys/class/net/eth0/mtu"])).stdout.trim()).toBe("1400");
    const hostVeth = (web.result["interfaces"] as { name: string; sandbox?: string }[]).find(
      (i) => !i.sandbox,
    )!.name;
    const qdisc = await cluster.exec(cluster.node("a"), ["tc", "qdisc", "show", "dev", hostVeth]);
    expect(qdisc.stdout).toMatch(/tbf/);
    const nat = await cluster.exec(cluster.node("a"), ["iptables-save", "-t", "nat"]);
    expect(nat.stdout).toContain(`--dport ${HOST_PORT}`);
    expect(nat.stdout).toContain(`${web.ip}:${POD_PORT}`);
  });

  it("a pod on another node reaches the pod through the node's host port (DNAT, no overlay)", async () => {
    const server = cluster.exec(web, [
      "node",
      "-e",
      // One connection, then exit 0; exit 3 if none came within 15 s.
      `const s=require("node:net").createServer(c=>{c.end("pong from web");s.close()}).listen(${POD_PORT});setTimeout(()=>process.exit(3),15000).unref()`,
    ]);
    const nodeA = cluster.node("a").privateIp;
    let reply = "";
    for (let i = 0; i < 20 && !reply.includes("pong"); i++) {
      await new Promise((r) => setTimeout(r, 150));
      const r = await cluster.exec(client, [
        "bash",
        "-c",
        `exec 3<>/dev/tcp/${nodeA}/${HOST_PORT} && cat <&3`,
      ]);
      reply = r.stdout;
    }
    expect(reply).toBe("pong from web");
    expect((await server).code).toBe(0);
  });

  it("CHECK passes through the chain, and DEL in reverse removes every plugin's state", async () => {
    // The runner checks the plugins in order and stops at the first failure:
    // vpc-cni (though tuning changed the MTU it set) and tuning pass; Debian's portmap v1.1.1 then fails CHECK for any
    // IPv4-only pod by looking for an IPv6 DNAT chain it never created
    // (containernetworking/plugins#819), whatever plugin came first.
    await expect(rt.checkPod(web)).rejects.toThrow(/CHECK portmap: .*ipv6 dnat/);
    await rt.delPod(web);
    const nat = await cluster.exec(cluster.node("a"), ["iptables-save", "-t", "nat"]);
    expect(nat.stdout).not.toContain(`--dport ${HOST_PORT}`);
    const links = await cluster.exec(cluster.node("a"), ["ip", "-o", "link"]);
    const hostVeth = (web.result["interfaces"] as { name: string; sandbox?: string }[]).find(
      (i) => !i.sandbox,
    )!.name;
    expect(links.stdout).not.toContain(hostVeth);
  });
});
