// VPC_CNI_GROW_FOR_SCHEDULED_PODS, end to end: a real ipamd with the stand-in
// API server (the real REST API over HTTP; no kube-apiserver can run here) and
// the EC2/IMDS emulator. Pods scheduled on the node (Pod objects with
// spec.nodeName, as the scheduler leaves them) make the pool grow before any
// CNI ADD arrives; once they hold addresses they no longer count.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, ipamdRequest, type Pod } from "../harness/index.ts";
import { createPodObject } from "../harness/kube.ts";
import { until } from "../support/until.ts";

// m5.large: 3 ENIs x 10 addresses, 9 of each for pods = 27.
const MAX = 27;

describe("pods scheduled on the node grow the pool before their ADDs (Kubernetes)", () => {
  let c: Cluster;
  const status = async () =>
    (
      (await ipamdRequest(c.node("s").socketPath, { v: 1, op: "status" }, 5000)) as {
        result: { available: number; assigned?: number };
      }
    ).result;

  beforeAll(async () => {
    c = await createCluster({
      nodes: [{ name: "s", instanceType: "m5.large" }],
      timeScale: 0.05,
      kubernetes: true,
      // One whole warm ENI would already hold 18 of the 27: WARM_IP_TARGET=2 keeps the start small.
      env: { WARM_IP_TARGET: "2", VPC_CNI_IP_COOLDOWN_SECONDS: "0" },
    });
  });
  afterAll(() => c?.destroy());

  it("20 Pod objects scheduled here, no ADD yet: the pool grows to hold them; their ADDs then never wait", async () => {
    const start = await until(
      "the warm pool",
      async () => {
        const s = await status();
        return s.available === 2 ? s : undefined;
      },
      20_000,
      50,
    );
    expect(start.assigned ?? 0).toBe(0);
    const names = Array.from({ length: 20 }, (_, i) => `sched-${i}`);
    for (const name of names) createPodObject(c.kube!, "s", { namespace: "default", name });
    // 20 pods + WARM_IP_TARGET 2 = 22 free, within the node's 27.
    await until(
      "22 free addresses",
      async () => ((await status()).available >= 22 ? true : undefined),
      20_000,
      50,
    );
    const pods: Pod[] = [];
    const t0 = performance.now();
    for (const name of names) pods.push(await c.addPod("s", { namespace: "default", name }));
    const addsMs = performance.now() - t0;
    const after = await status();
    expect(after.assigned).toBe(20);
    // Every ADD found an address at once (no hold for an ENI attach, 100 ms here).
    expect(addsMs / names.length).toBeLessThan(100);
    // Holding addresses, they are no longer demand: the pool keeps only its warm target free.
    expect(after.available).toBeLessThanOrEqual(MAX - 20);
    for (const p of pods) await c.delPod(p);
  });
});
