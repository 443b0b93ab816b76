// ipamd with Kubernetes, three nodes side by side (t3.medium: 3 ENIs x 5 pod
// addresses, default WARM_ENI_TARGET=1: 5 free addresses kept, so with 2 pods
// a second ENI is due):
//   capped  the Node's status.capacity.pods is 4 (kubelet's max pods): the
//           primary ENI's 5 addresses already cover it, so no second ENI
//           (the AWS VPC CNI's TotalIPs >= maxPods)
//   free    no capacity on the Node: the second ENI comes as usual
//   quiet   DISABLE_METRICS, DISABLE_INTROSPECTION, DISABLE_LEAKED_ENI_CLEANUP:
//           no metrics listener, introspection answers the probes only
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster } from "../harness/index.ts";
import { e2eReady } from "./lib/world.ts";

describe.skipIf(!e2eReady)("e2e: the Node's pod capacity caps the pool; the DISABLE_* switches", () => {
  let c: Cluster;
  const enisOf = (node: string) =>
    c.emulator.admin.state().enis.filter((e) => e.attachment?.instanceId === c.node(node).instanceId).length;
  const code = async (node: string, address: string, path: string) =>
    (await c.exec(node, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", `http://${address}${path}`]))
      .stdout;

  beforeAll(async () => {
    c = await createCluster({
      kubernetes: true,
      timeScale: 0.05,
      nodes: [
        { name: "capped", instanceType: "t3.medium", maxPods: 4 },
        { name: "free", instanceType: "t3.medium" },
        {
          name: "quiet",
          instanceType: "t3.medium",
          env: { DISABLE_METRICS: "true", DISABLE_INTROSPECTION: "true", DISABLE_LEAKED_ENI_CLEANUP: "true" },
        },
      ],
    });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it("no warm ENI beyond the Node's pod capacity; without one, the warm ENI comes", async () => {
    for (const n of ["capped", "free"])
      for (let i = 0; i < 2; i++) await c.addPod(n, { namespace: "cap", name: `${n}-${i}` });
    const deadline = Date.now() + 15_000;
    while (enisOf("free") < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(enisOf("free")).toBe(2);
    // The capped node had the same time (and more: its rounds ran alongside): still its primary ENI only.
    await new Promise((r) => setTimeout(r, 1000));
    expect(enisOf("capped")).toBe(1);
  });

  it("DISABLE_METRICS: nothing listens; DISABLE_INTROSPECTION: the probes answer, the views do not", async () => {
    const n = c.node("quiet");
    expect(await code("quiet", n.metricsAddress, "/metrics")).toBe("000"); // connection refused
    expect(await code("quiet", n.introspectionAddress, "/healthz")).toBe("200");
    expect(await code("quiet", n.introspectionAddress, "/livez")).toBe("200");
    expect(await code("quiet", n.introspectionAddress, "/v1/status")).toBe("404");
    // The other nodes serve both, as before.
    expect(await code("free", c.node("free").metricsAddress, "/metrics")).toBe("200");
    expect(await code("free", c.node("free").introspectionAddress, "/v1/status")).toBe("200");
  });
});
