// ipamd with Kubernetes, end to end: one simulated node (t3.medium: 3 ENIs x
// 5 = 15 pod addresses) whose ipamd talks to the stand-in API server (the
// real REST API over HTTP; the real @kubernetes/client-node; no
// kube-apiserver can run here) with deploy/base/rbac.yaml enforced, and to
// the EC2/IMDS emulator. Pods are created as Pod objects and through the CNI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, ipamdRequest, type Pod } from "../harness/index.ts";
import { grantKey, IPAMD_USER } from "../harness/kube.ts";
import type { JsonObject } from "../support/fake-apiserver/patch.ts";
import { createNetns, type TestNetns } from "../support/netns.ts";

const EVENT_INTERVAL_S = 4;
const GRACE_S = 2;
const LIMIT = 15;

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe("ipamd with Kubernetes (stand-in API server + emulator)", () => {
  let c: Cluster;
  const pods: Pod[] = [];
  const nodeIpam = () =>
    c.kube!.api.store.get("vpccni.io/v1alpha1/nodeipams", undefined, "k")?.status as
      | { addresses: { assigned: number }; exhausted: string; conditions: Cond[] }
      | undefined;
  const nodeCondition = () =>
    (
      (c.kube!.api.store.get("/v1/nodes", undefined, "k")!.status as JsonObject)
        .conditions as unknown as Cond[]
    ).find((x) => x.type === "IPAMExhausted");
  const events = () =>
    c
      .kube!.api.store.list("events.k8s.io/v1/events", "default")
      .filter((e) => (e.regarding as JsonObject | undefined)?.name === "k") as unknown as {
      reason: string;
      note: string;
      series?: { count: number };
    }[];
  const eventWrites = () =>
    c
      .kube!.api.requestsBy(IPAMD_USER)
      .filter((r) => r.info?.group === "events.k8s.io" && r.status < 300)
      .map((r) => r.info!.verb);
  const failingAdd = (i: number) =>
    ipamdRequest(
      c.node("k").socketPath,
      {
        v: 1,
        op: "add",
        key: { network: "aws-cni", containerId: `full-${i}`, ifName: "eth0" },
        // A real namespace: ipamd refuses a missing one (code 4) before it looks for an address.
        netns: spareNetns.path,
        pod: { namespace: "default", name: `full-${i}` },
        link: { mtu: 9001, vethPrefix: "eni" },
      },
      5000,
    ) as Promise<{ ok: boolean; error?: { code: number; msg: string } }>;

  let spareNetns: TestNetns;

  beforeAll(async () => {
    spareNetns = createNetns("k8sfail");
    c = await createCluster({
      nodes: [{ name: "k", instanceType: "t3.medium" }],
      timeScale: 0.01,
      kubernetes: true,
      addPodRetryMs: 15_000,
      env: {
        VPC_CNI_IP_COOLDOWN_SECONDS: "0",
        VPC_CNI_STATUS_INTERVAL_SECONDS: "1",
        VPC_CNI_EVENT_INTERVAL_SECONDS: String(EVENT_INTERVAL_S),
        VPC_CNI_POD_RELEASE_GRACE_SECONDS: String(GRACE_S),
        VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
      },
    });
  });
  afterAll(async () => {
    await c?.destroy();
    spareNetns?.delete();
  });

  it("NodeIPAM status counts the pods added", async () => {
    for (let i = 0; i < 3; i++) pods.push(await c.addPod("k", { namespace: "default", name: `p${i}` }));
    const st = await until("assigned = 3", () =>
      nodeIpam()?.addresses.assigned === 3 ? nodeIpam() : undefined,
    );
    expect(st.exhausted).toBe("None");
    expect(st.conditions.find((x) => x.type === "Ready")?.status).toBe("True");
  });

  it("at the instance limit: exhausted InstanceLimit with numbers; node condition True", async () => {
    for (let i = 3; i < LIMIT; i++) pods.push(await c.addPod("k", { namespace: "default", name: `p${i}` }));
    const st = await until("exhausted", () =>
      nodeIpam()?.exhausted === "InstanceLimit" ? nodeIpam() : undefined,
    );
    expect(st.addresses.assigned).toBe(LIMIT);
    const ex = st.conditions.find((x) => x.type === "IPAMExhausted")!;
    expect(ex.status).toBe("True");
    expect(ex.message).toMatch(/\b15\b/);
    const cond = await until("node condition True", () => {
      const x = nodeCondition();
      return x?.status === "True" ? x : undefined;
    });
    expect(cond.reason).toBe("InstanceLimit");
    expect(cond.message).toMatch(/\b15\b/);
  });

  it("many failing ADDs: one Event per cause per interval, its series counting them all", async () => {
    expect(events()).toEqual([]);
    const N = 40;
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => failingAdd(i)));
    expect(answers.every((a) => !a.ok && a.error?.code === 11)).toBe(true);
    await until("first event", () => (events().length > 0 ? true : undefined), 3000);
    const t0 = Date.now();
    // Within the interval: still one Event, one write.
    await new Promise((r) => setTimeout(r, 1500));
    expect(events().length).toBe(1);
    expect(eventWrites()).toEqual(["create"]);
    const ev = events()[0]!;
    expect(ev.reason).toBe("InstanceLimit");
    expect(ev.note).toMatch(/\b15\b/);
    // After the interval: the rest are folded into the same Event's series (one patch), no new Event.
    await until(
      "series patch",
      () => (eventWrites().length === 2 ? true : undefined),
      EVENT_INTERVAL_S * 1000 + 3000,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(EVENT_INTERVAL_S * 1000 - 1600);
    expect(eventWrites()).toEqual(["create", "patch"]);
    expect(events().length).toBe(1);
    expect(events()[0]!.series?.count).toBe(N);
  });

  it("after pods are deleted the node condition goes back to False", async () => {
    for (const p of pods.splice(LIMIT - 5)) await c.delPod(p);
    await until("NodeIPAM not exhausted", () => (nodeIpam()?.exhausted === "None" ? true : undefined));
    const cond = await until("node condition False", () => {
      const x = nodeCondition();
      return x?.status === "False" ? x : undefined;
    });
    expect(cond.reason).toBe("AddressesAvailable");
  });

  it("a Pod object deleted without a CNI DEL: its address is released after the grace; live pods' never", async () => {
    const gone = pods.shift()!;
    const t0 = Date.now();
    c.kube!.deletePodObject(gone);
    const held = async () =>
      ((await c.introspect("k", "/v1/assignments")) as { ip: string }[]).map((a) => a.ip);
    await until("release", async () => ((await held()).includes(gone.ip) ? undefined : true), 15_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(GRACE_S * 1000);
    // Every other pod (Pod object alive) still holds its address, well past the grace.
    await new Promise((r) => setTimeout(r, GRACE_S * 1000 + 1500));
    const now = await held();
    for (const p of pods) expect(now).toContain(p.ip);
    expect(now).not.toContain(gone.ip);
    // Unplumbed like a CNI DEL: the pod's interface is gone.
    const link = await c.exec(gone, ["ip", "-o", "link", "show", "eth0"]);
    expect(link.code).not.toBe(0);
  });

  it("RBAC: every call ipamd made is granted by deploy/base/rbac.yaml, and it used all but custom networking's", () => {
    const reqs = c.kube!.api.requestsBy(IPAMD_USER);
    expect(reqs.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const used = new Set(reqs.filter((r) => r.info).map((r) => grantKey(r.info!)));
    const notUsed = [...c.kube!.granted].filter((g) => !used.has(g)).sort();
    expect(notUsed).toEqual([
      "crd.k8s.amazonaws.com eniconfigs get",
      "crd.k8s.amazonaws.com eniconfigs list",
    ]);
  });

  it("with the API server gone, pods still get and release addresses; the failures are counted", async () => {
    const errors = async () =>
      [...(await c.metrics("k")).matchAll(/^vpccni_k8s_api_errors_total\{[^}]*\} (\d+)/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    const before = await errors();
    await c.kube!.api.stop();
    const p = await c.addPod("k", { namespace: "default", name: "offline" });
    expect(p.ip).toMatch(/^10\.0\./);
    await c.delPod(p);
    // The watcher reconnects with backoff, the publisher and condition retry: each failure counted.
    await until("API errors counted", async () => ((await errors()) > before ? true : undefined), 10_000);
  });
});
