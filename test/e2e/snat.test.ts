// SNAT for pod traffic leaving the VPC, as the AWS VPC CNI does it. The
// emulator's VPC router is an internet gateway that translates only the
// primary private IP of an instance's primary ENI (its public IP's mapping)
// and drops what any other VPC address sends to the internet; behind it one
// internet host (cluster.internet, 203.0.113.10). One cluster, one node per
// setting:
//   snat      defaults: a pod (a secondary IP of the primary ENI) reaches the
//             internet as its node's primary IP; inside the VPC it keeps its own
//   external  AWS_VPC_K8S_CNI_EXTERNALSNAT=true: no VPC-CNI-SNAT chain, the pod's
//             packets leave with its own address and the IGW drops them (the
//             emulator has no NAT gateway)
//   exclude   AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS=<the internet's /24>: not SNATed,
//             dropped the same way
//   retry     ipamd cannot run iptables at first: it stays not ready with the
//             reason (STATUS, log), retries, and becomes ready once it can
// Restarts converge: same settings change nothing, changed settings rebuild the chain.
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, ipamdRequest, type Pod } from "../harness/index.ts";
import { type HostSnapshot, hostSnapshot, leftovers } from "./lib/teardown.ts";
import { countAtInternet, countOnWire } from "./lib/wire.ts";
import { type EniView, e2eReady } from "./lib/world.ts";

const CHAIN = "VPC-CNI-SNAT";
const INTERNET_CIDR = "203.0.113.0/24";
const IPTABLES_TOOLS = ["iptables-save", "iptables-restore"];

describe.skipIf(!e2eReady)("e2e: SNAT of pod traffic leaving the VPC", () => {
  let cluster: Cluster;
  let before: HostSnapshot;
  const pods: Record<string, Pod> = {};
  let inet: string;

  const natRules = async (node: string) => {
    const r = await cluster.exec(node, ["iptables", "-t", "nat", "-S"]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split("\n").filter((l) => l.includes(CHAIN));
  };
  const sysctl = async (node: string, key: string) =>
    (await cluster.exec(node, ["cat", `/proc/sys/${key}`])).stdout.trim();
  /** The ENI that holds `p`'s address, as ipamd sees it. */
  const eniOf = async (p: Pod) =>
    ((await cluster.introspect(p.node)) as EniView[]).find((e) => e.ips.includes(p.ip))!;
  const status = async (node: string) =>
    (await ipamdRequest(cluster.node(node).socketPath, { v: 1, op: "status" }, 1000))["result"] as {
      ready: boolean;
      reason?: string;
    };

  beforeAll(async () => {
    before = await hostSnapshot();
    cluster = await createCluster({
      nodes: [
        { name: "snat", instanceType: "t3.medium", subnet: 0 },
        {
          name: "external",
          instanceType: "t3.medium",
          subnet: 1,
          env: { AWS_VPC_K8S_CNI_EXTERNALSNAT: "true" },
        },
        {
          name: "exclude",
          instanceType: "t3.medium",
          subnet: 0,
          env: { AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: INTERNET_CIDR },
        },
        { name: "retry", instanceType: "t3.medium", subnet: 1 },
        { name: "second", instanceType: "t3.medium", subnet: 1 },
      ],
      timeScale: 0.05,
      // Pool settings only (SNAT settings stay the defaults): a small warm pool
      // on the primary ENI, no secondary ENI, so every pod's address is a
      // secondary IP of its node's primary ENI, the case under test.
      env: { WARM_IP_TARGET: "2" },
      startIpamd: false,
    });
    inet = cluster.internet.address;
    await Promise.all(["snat", "external", "exclude", "second"].map((n) => cluster.startIpamd(n)));
    for (const n of ["snat", "external", "exclude"])
      pods[n] = await cluster.addPod(n, { namespace: "snat", name: `p-${n}` });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("the world: the internet is behind the router; nodes themselves reach it from their primary IP", async () => {
    expect(cluster.internet).toMatchObject({ address: "203.0.113.10", cidr: INTERNET_CIDR });
    for (const n of ["snat", "external", "exclude"]) {
      const node = cluster.node(n);
      const seen = await countAtInternet(cluster, node.privateIp, () => cluster.ping(n, inet, 2));
      expect(seen, n).toBe(2);
    }
  });

  it("every node: ip_forward on, loose rp_filter on the primary ENI's interface (eth0)", async () => {
    for (const n of ["snat", "external", "exclude"]) {
      expect(await sysctl(n, "net/ipv4/ip_forward"), n).toBe("1");
      expect(await sysctl(n, "net/ipv4/conf/eth0/rp_filter"), n).toBe("2");
    }
  });

  it("defaults: the pod (a secondary IP of the primary ENI) reaches the internet as its node's primary IP", async () => {
    const p = pods.snat!;
    const node = cluster.node("snat");
    const eni = await eniOf(p);
    expect(eni.primary).toBe(true);
    expect(p.ip).not.toBe(node.privateIp);
    expect(await natRules("snat")).toEqual([
      `-N ${CHAIN}`,
      `-A POSTROUTING -m comment --comment "VPC-CNI SNAT" -j ${CHAIN}`,
      `-A ${CHAIN} -d 10.0.0.0/16 -m comment --comment "VPC CIDR" -j RETURN`,
      `-A ${CHAIN} -m comment --comment "off-VPC, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${node.privateIp} --random-fully`,
    ]);
    const asNode = await countAtInternet(cluster, node.privateIp, async () => {
      expect(await cluster.ping(p, inet, 3)).toBe(0);
    });
    expect(asNode).toBe(3);
    const asPod = await countAtInternet(cluster, p.ip, () => cluster.ping(p, inet, 2));
    expect(asPod).toBe(0);
  });

  it("defaults: inside the VPC the pod keeps its own address (to a pod and to a node elsewhere)", async () => {
    const p = pods.snat!;
    const eni = await eniOf(p);
    for (const to of [pods.external!.ip, cluster.node("external").privateIp]) {
      const own = await countOnWire(cluster, { eniId: eni.id, saddr: p.ip, daddr: to }, async () => {
        expect(await cluster.ping(p, to, 3)).toBe(0);
      });
      expect(own, to).toBeGreaterThanOrEqual(3);
      const natted = await countOnWire(
        cluster,
        { eniId: eni.id, saddr: cluster.node("snat").privateIp, daddr: to },
        () => cluster.ping(p, to, 2),
      );
      expect(natted, to).toBe(0);
    }
  });

  it("AWS_VPC_K8S_CNI_EXTERNALSNAT=true: no SNAT chain; the pod's own address leaves the node and the IGW drops it", async () => {
    const p = pods.external!;
    const eni = await eniOf(p);
    expect(eni.primary).toBe(true);
    expect(await natRules("external")).toEqual([]);
    const onWire = await countOnWire(cluster, { eniId: eni.id, saddr: p.ip, daddr: inet }, async () => {
      expect(await cluster.ping(p, inet, 2)).toBe(100);
    });
    expect(onWire).toBe(2);
    const seen = await countAtInternet(cluster, cluster.node("external").privateIp, () =>
      cluster.ping(p, inet, 1),
    );
    expect(seen).toBe(0);
    expect(await cluster.ping(p, pods.snat!.ip, 2)).toBe(0); // the VPC is unaffected
  });

  it("AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS with the internet's CIDR: not SNATed, so dropped by the IGW", async () => {
    const p = pods.exclude!;
    const eni = await eniOf(p);
    expect(eni.primary).toBe(true);
    expect(await natRules("exclude")).toContain(
      `-A ${CHAIN} -d ${INTERNET_CIDR} -m comment --comment "excluded CIDR" -j RETURN`,
    );
    const onWire = await countOnWire(cluster, { eniId: eni.id, saddr: p.ip, daddr: inet }, async () => {
      expect(await cluster.ping(p, inet, 2)).toBe(100);
    });
    expect(onWire).toBe(2);
    const seen = await countAtInternet(cluster, cluster.node("exclude").privateIp, () =>
      cluster.ping(p, inet, 1),
    );
    expect(seen).toBe(0);
  });

  it("a restart with the same settings changes nothing; with changed settings the chain is rebuilt", async () => {
    const rules = await natRules("snat");
    await cluster.restartIpamd("snat");
    expect(await natRules("snat")).toEqual(rules);
    expect(await cluster.ping(pods.snat!, inet, 2)).toBe(0);
    // "exclude" back to the defaults: its pod now reaches the internet, as its node.
    const ex = cluster.node("exclude");
    delete ex.env.AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS;
    await cluster.restartIpamd("exclude");
    const now = await natRules("exclude");
    expect(now.some((l) => l.includes(INTERNET_CIDR))).toBe(false);
    expect(now.filter((l) => l.startsWith("-A POSTROUTING"))).toHaveLength(1);
    const seen = await countAtInternet(cluster, ex.privateIp, async () => {
      expect(await cluster.ping(pods.exclude!, inet, 2)).toBe(0);
    });
    expect(seen).toBe(2);
  });

  it("a pod on a secondary ENI: its ENI's table only towards the VPC, so the internet sees the node's IP", async () => {
    // A t3.medium's primary ENI holds 5 pod addresses: the sixth pod's is on a secondary ENI.
    const ps: Pod[] = [];
    for (let i = 0; i < 6; i++)
      ps.push(await cluster.addPod("second", { namespace: "snat", name: `s-${i}` }));
    let p: Pod | undefined;
    for (const x of ps) if (!(await eniOf(x)).primary) p = x;
    expect(p, "a pod on a secondary ENI").toBeDefined();
    const eni = await eniOf(p!);
    // As the AWS VPC CNI with SNAT on the node: "from <pod> to <VPC CIDR> lookup <ENI table>" only.
    const rules = (await cluster.exec("second", ["ip", "rule", "show", "from", `${p!.ip}/32`])).stdout;
    expect(rules).toMatch(
      new RegExp(`from ${p!.ip.replaceAll(".", "\\.")} to 10\\.0\\.0\\.0/16 lookup \\d+`),
    );
    expect(rules).not.toMatch(new RegExp(`from ${p!.ip.replaceAll(".", "\\.")} lookup`));
    const node = cluster.node("second");
    const seen = await countAtInternet(cluster, node.privateIp, async () => {
      expect(await cluster.ping(p!, inet, 2)).toBe(0);
    });
    expect(seen).toBe(2);
    // Inside the VPC it keeps its own address and leaves through its own ENI (the VPC checks both).
    const to = pods.snat!.ip;
    const own = await countOnWire(cluster, { eniId: eni.id, saddr: p!.ip, daddr: to }, async () => {
      expect(await cluster.ping(p!, to, 2)).toBe(0);
    });
    expect(own).toBeGreaterThanOrEqual(2);
  });

  it("node setup failing (no iptables): not ready with the reason, logged, retried until it works", async () => {
    const node = cluster.node("retry");
    // ipamd starts with no iptables tools on its PATH; the test puts them there later.
    const retryBin = join(cluster.tmpDir, "retry-bin");
    mkdirSync(retryBin);
    const path = (process.env.PATH ?? "/usr/bin:/bin")
      .split(delimiter)
      .filter((d) => d !== "" && !IPTABLES_TOOLS.some((t) => existsSync(join(d, t))));
    node.env.PATH = [retryBin, ...path].join(delimiter);
    await cluster.startIpamd(node, { waitReady: false });
    let s = await status("retry").catch(() => undefined);
    for (let i = 0; i < 100 && !/node network setup/.test(s?.reason ?? ""); i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await status("retry").catch(() => undefined);
    }
    expect(s?.ready).toBe(false);
    // Alive but not ready: the liveness probe's /livez passes, the readiness
    // probe's /healthz does not (deploy/base/daemonset.yaml), so kubelet does
    // not restart an ipamd that is working and says why it waits.
    const probe = async (path: string) =>
      (
        await cluster.exec(node, [
          "curl",
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          `http://${node.introspectionAddress}${path}`,
        ])
      ).stdout;
    expect(await probe("/livez")).toBe("200");
    expect(await probe("/healthz")).toBe("503");
    expect(s?.reason).toMatch(
      /^node network setup \(ip_forward, rp_filter, SNAT\) failed, retrying: iptables-save: spawn iptables-save ENOENT/,
    );
    const log = readFileSync(node.logFile, "utf8");
    expect(log).toMatch(
      /"level":50.*"err":"iptables-save: spawn iptables-save ENOENT".*ipamd stays not ready and retries/,
    );
    // The tools appear (an operator fixes the image): the next attempt works.
    const which = (t: string) =>
      (process.env.PATH ?? "/usr/sbin:/sbin")
        .split(delimiter)
        .map((d) => join(d, t))
        .find((f) => existsSync(f))!;
    for (const t of IPTABLES_TOOLS) symlinkSync(which(t), join(retryBin, t));
    const t0 = Date.now();
    while (!(await status("retry")).ready && Date.now() - t0 < 15_000)
      await new Promise((r) => setTimeout(r, 100));
    expect((await status("retry")).ready).toBe(true);
    expect(await probe("/healthz")).toBe("200");
    expect(await natRules("retry")).toHaveLength(4);
    expect(readFileSync(node.logFile, "utf8")).toMatch(/node network set up \(ip_forward, rp_filter, SNAT\)/);
  });

  it("teardown leaves no namespace (the internet's included), interface, rule, route, process or directory", async () => {
    await cluster.destroy();
    expect(await leftovers(cluster, before)).toEqual([]);
  });
});
