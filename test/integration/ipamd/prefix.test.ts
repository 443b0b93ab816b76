// Prefix delegation end to end: ipamd (child in a node namespace) against the
// emulator; the pool grows by /28 prefixes and pods get addresses from them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, ipamdRequest } from "../../harness/index.ts";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";

describe.skipIf(!canUseNetns)("ipamd with prefix delegation", () => {
  let cluster: Cluster;
  const pods: TestNetns[] = [];

  beforeAll(async () => {
    cluster = await createCluster({
      nodes: [{ name: "p", instanceType: "m5.large", prefixDelegation: true }],
      timeScale: 0.01,
    });
  });
  afterAll(async () => {
    for (const p of pods) p.delete();
    await cluster?.destroy();
  });

  it("holds a warm /28 and hands out its addresses", async () => {
    let enis: { prefixes: string[] }[] = [];
    for (let i = 0; i < 100; i++) {
      enis = (await cluster.introspect("p", "/v1/enis")) as { prefixes: string[] }[];
      if (enis.some((e) => e.prefixes.length > 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const prefixes = enis.flatMap((e) => e.prefixes);
    expect(prefixes.length).toBeGreaterThanOrEqual(1);
    const p = createNetns("pd");
    pods.push(p);
    const r = (await ipamdRequest(cluster.node("p").socketPath, {
      v: 1,
      op: "add",
      key: { network: "aws-cni", containerId: "pd1", ifName: "eth0" },
      netns: p.path,
      pod: { namespace: "default", name: "pd1" },
      link: { mtu: 9001, vethPrefix: "eni" },
    })) as { ok: boolean; result?: { ip: string } };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const ip = r.result!.ip;
    const last = Number(ip.split(".")[3]);
    const base = `${ip.split(".").slice(0, 3).join(".")}.${last - (last % 16)}/28`;
    expect(prefixes).toContain(base);
    expect(await cluster.metrics("p")).toMatch(/vpccni_prefixes_total [1-9]/);
  });
});
