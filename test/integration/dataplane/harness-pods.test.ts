// The whole stack through the harness: emulator + netns VPC data plane, one
// real ipamd per node (inside its namespace), the real CNI plugin exec'd by the
// harness runtime. Pods on two subnets, more pods than the primary ENI holds
// (so some live behind a secondary ENI), pod-to-pod pings, CHECK, ipamd
// restart, DEL.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, type Pod } from "../../harness/index.ts";
import { IPAMD_MAIN } from "../../harness/ipamd-process.ts";
import { canUseNetns } from "../../support/privileges.ts";

const PLUGIN = new URL("../../../build/vpc-cni", import.meta.url).pathname;
const ready = canUseNetns && existsSync(IPAMD_MAIN) && existsSync(PLUGIN);
if (canUseNetns && !ready)
  process.stderr.write(`SKIPPING harness pod tests: need ${IPAMD_MAIN} and ${PLUGIN}\n`);

describe.skipIf(!ready)("cluster harness with ipamd and the CNI plugin", () => {
  let cluster: Cluster;
  const podsA: Pod[] = [];
  let podB: Pod;

  beforeAll(async () => {
    const t0 = performance.now();
    cluster = await createCluster({
      nodes: [
        // t3.medium: 3 ENIs x 6 addresses, so the 7th pod needs a second ENI.
        { name: "node-a", instanceType: "t3.medium", subnet: 0 },
        { name: "node-b", instanceType: "m5.large", subnet: 1 },
      ],
      timeScale: 0.05,
    });
    console.log(`createCluster with 2 ipamds ready: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("ADD gives pods VPC addresses; pods ping across nodes and subnets with 0% loss", async () => {
    podB = await cluster.addPod("node-b", { namespace: "default", name: "b-0" });
    for (let i = 0; i < 7; i++)
      podsA.push(await cluster.addPod("node-a", { namespace: "default", name: `a-${i}` }));
    console.log(`ADD ms (node-a): ${podsA.map((p) => p.addMs.toFixed(0)).join(" ")}`);
    expect(podB.ip.startsWith("10.0.2.")).toBe(true);
    for (const p of podsA) expect(p.ip.startsWith("10.0.1.")).toBe(true);
    expect(new Set(podsA.map((p) => p.ip)).size).toBe(7);
    for (const p of podsA) {
      expect(await cluster.ping(podB, p.ip, 2)).toBe(0);
      expect(await cluster.ping(p, podB.ip, 2)).toBe(0);
    }
  });

  it("some of node-a's pods live behind a secondary ENI, and the router delivers their IPs to it", async () => {
    const enis = (await cluster.introspect("node-a")) as { id: string; deviceIndex: number; ips: string[] }[];
    const secondary = enis.filter((e) => e.deviceIndex >= 1);
    const behind = podsA.filter((p) => secondary.some((e) => e.ips.includes(p.ip)));
    expect(behind.length).toBeGreaterThan(0);
    for (const p of behind) {
      const eni = secondary.find((e) => e.ips.includes(p.ip))!;
      expect(cluster.dataPlane.plumbingOf(eni.id)?.routes).toContain(`${p.ip}/32`);
    }
  });

  it("CHECK passes for every pod", async () => {
    for (const p of [...podsA, podB]) await cluster.checkPod(p);
  });

  it("introspection and metrics answer from inside the node namespace", async () => {
    const enis = (await cluster.introspect("node-a")) as { id: string }[];
    expect(enis.length).toBeGreaterThanOrEqual(2);
    expect(await cluster.metrics("node-a")).toMatch(/^# (HELP|TYPE) /m);
  });

  it("pods keep working across an ipamd kill and restart", async () => {
    await cluster.killIpamd("node-a", "SIGKILL");
    expect(await cluster.ping(podB, podsA[0]!.ip, 2)).toBe(0); // data path needs no ipamd
    await cluster.startIpamd("node-a");
    await cluster.checkPod(podsA[6]!);
    const more = await cluster.addPod("node-a", { namespace: "default", name: "a-after" });
    expect(podsA.map((p) => p.ip)).not.toContain(more.ip);
    podsA.push(more);
  });

  it("DEL removes the pods and their namespaces", async () => {
    for (const p of [...podsA, podB]) await cluster.delPod(p);
    expect(cluster.runtime.pods.size).toBe(0);
  });
});

describe.skipIf(!ready)("cluster harness with prefix delegation", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await createCluster({
      nodes: [
        { name: "pd", instanceType: "c5.xlarge", subnet: 0, prefixDelegation: true },
        { name: "plain", instanceType: "m5.large", subnet: 1 },
      ],
      timeScale: 0.05,
    });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("a pod addressed from a delegated /28 is reachable: the router routes the whole prefix to its ENI", async () => {
    const pdPod = await cluster.addPod("pd", { namespace: "default", name: "pd-0" });
    const other = await cluster.addPod("plain", { namespace: "default", name: "plain-0" });
    const enis = (await cluster.introspect("pd")) as { id: string }[];
    const routes = enis.flatMap((e) => cluster.dataPlane.plumbingOf(e.id)?.routes ?? []);
    const prefix = routes.find((r) => r.endsWith("/28"));
    expect(prefix).toBeDefined();
    const [base] = prefix!.split("/");
    const last = (ip: string) => Number(ip.split(".")[3]);
    expect(last(pdPod.ip) - last(base!)).toBeGreaterThanOrEqual(0);
    expect(last(pdPod.ip) - last(base!)).toBeLessThan(16);
    expect(await cluster.ping(other, pdPod.ip)).toBe(0);
    expect(await cluster.ping(pdPod, other.ip)).toBe(0);
  });
});
