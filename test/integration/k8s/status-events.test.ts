// NodeIPAM status coalescing, the Node condition and rate-limited Events, with
// the real client against the stand-in; API writes are counted from its log.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { K8sClients } from "../../../ipamd/k8s/client.ts";
import { NodeEvents } from "../../../ipamd/k8s/events.ts";
import { NodeConditionPatcher } from "../../../ipamd/k8s/node-condition.ts";
import type { NodeIpamStatus } from "../../../ipamd/k8s/nodeipam-types.ts";
import { StatusPublisher } from "../../../ipamd/k8s/status-publisher.ts";
import { createNode } from "../../support/fake-apiserver/fixtures.ts";
import type { JsonObject } from "../../support/fake-apiserver/patch.ts";
import type { FakeApiServer } from "../../support/fake-apiserver/server.ts";
import { IPAMD_TOKEN, startStandIn } from "./harness.ts";
import { sampleInput } from "./inputs.ts";

let api: FakeApiServer;
let clients: K8sClients;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function writes(resource: string, subresource?: string): number {
  return api
    .requestsBy(IPAMD_TOKEN)
    .filter(
      (r) => r.info?.verb === "patch" && r.info.resource === resource && r.info.subresource === subresource,
    ).length;
}

beforeAll(async () => {
  ({ api, clients } = await startStandIn());
  createNode(api, "node-a", { "node.kubernetes.io/instance-type": "m5.large" });
});
afterAll(() => api.stop());

describe("status publisher", () => {
  it("coalesces a burst of 100 updates into at most 2 writes, ending on the latest", async () => {
    const uid = String((api.store.get("/v1/nodes", undefined, "node-a")!.metadata as JsonObject).uid);
    const pub = new StatusPublisher(clients.custom, { nodeName: "node-a", nodeUid: uid, intervalMs: 300 });
    for (let i = 0; i < 100; i++) pub.update(sampleInput(i % 18));
    await sleep(800);
    expect(writes("nodeipams", "status")).toBeLessThanOrEqual(2);
    expect(writes("nodeipams", "status")).toBeGreaterThanOrEqual(1);
    const obj = api.store.get("vpccni.io/v1alpha1/nodeipams", undefined, "node-a")!;
    const status = obj.status as unknown as NodeIpamStatus;
    expect(status.addresses.assigned).toBe(99 % 18);
    expect(status.podHeadroom).toBe(27 - 9);
    expect((obj.metadata as JsonObject).ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Node", name: "node-a", uid },
    ]);
    // Same content again: no write at all.
    const before = writes("nodeipams", "status");
    for (let i = 0; i < 20; i++) pub.update(sampleInput(99 % 18));
    await sleep(700);
    expect(writes("nodeipams", "status")).toBe(before);
    expect(pub.stats.unchanged).toBeGreaterThan(0);
    // Exhaustion shows up in the object; a merge patch with null clears the error again.
    pub.update(
      sampleInput(18, {
        exhausted: { cause: "InstanceLimit", message: "node holds 27 of its 27 pod addresses (3 ENIs x 9)" },
        lastAllocationError: { cause: "InstanceLimit", message: "AttachmentLimitExceeded", atMs: Date.now() },
      }),
    );
    expect(await pub.flush()).toBe(true);
    let s = api.store.get("vpccni.io/v1alpha1/nodeipams", undefined, "node-a")!
      .status as unknown as NodeIpamStatus;
    expect(s.exhausted).toBe("InstanceLimit");
    expect(s.conditions.find((c) => c.type === "IPAMExhausted")?.status).toBe("True");
    pub.update(sampleInput(3));
    await sleep(400);
    s = api.store.get("vpccni.io/v1alpha1/nodeipams", undefined, "node-a")!
      .status as unknown as NodeIpamStatus;
    expect(s.exhausted).toBe("None");
    expect("lastAllocationError" in s).toBe(false);
    expect(api.requestsBy(IPAMD_TOKEN).filter((r) => r.info?.verb === "create").length).toBe(1);
    pub.stop();
  });
});

describe("node condition", () => {
  it("patches IPAMExhausted on change only and keeps kubelet's conditions", async () => {
    const p = new NodeConditionPatcher(clients.core, "node-a");
    const full = {
      exhausted: true,
      cause: "SubnetFull" as const,
      message: "subnet-0a1 has 0 free addresses",
    };
    expect(await p.set(full)).toBe(true);
    expect(await p.set(full)).toBe(false);
    expect(await p.set({ ...full })).toBe(false);
    expect(writes("nodes", "status")).toBe(1);
    let conds = (api.store.get("/v1/nodes", undefined, "node-a")!.status as JsonObject)
      .conditions as JsonObject[];
    expect(conds.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Ready", "True", "KubeletReady"],
      ["IPAMExhausted", "True", "SubnetFull"],
    ]);
    expect(await p.set({ exhausted: false })).toBe(true);
    expect(await p.set({ exhausted: false })).toBe(false);
    expect(writes("nodes", "status")).toBe(2);
    conds = (api.store.get("/v1/nodes", undefined, "node-a")!.status as JsonObject)
      .conditions as JsonObject[];
    expect(conds.find((c) => c.type === "IPAMExhausted")?.status).toBe("False");
    expect(api.requestsBy(IPAMD_TOKEN).find((r) => r.info?.resource === "nodes")?.contentType).toBe(
      "application/strategic-merge-patch+json",
    );
  });
});

describe("node events", () => {
  it("one Event per cause per interval, with the count in its series", async () => {
    const ev = new NodeEvents(clients.events, { nodeName: "node-a", intervalMs: 300 });
    for (let i = 0; i < 50; i++)
      ev.record("InstanceLimit", `pod ${i}: node holds 27 of its 27 pod addresses`);
    for (let i = 0; i < 10; i++) ev.record("SubnetFull", "subnet-0a1 has 0 free addresses");
    await ev.settle();
    const creates = () =>
      api.requestsBy(IPAMD_TOKEN).filter((r) => r.info?.verb === "create" && r.info.resource === "events");
    expect(creates().length).toBe(2);
    await sleep(800); // > interval, with slack for a loaded CI machine
    await ev.settle();
    expect(creates().length).toBe(2);
    expect(writes("events")).toBe(2); // one series patch per cause
    const events = api.store.list("events.k8s.io/v1/events", "default");
    const byReason = Object.fromEntries(events.map((e) => [e.reason, e]));
    expect((byReason.InstanceLimit!.series as JsonObject).count).toBe(50);
    expect((byReason.SubnetFull!.series as JsonObject).count).toBe(10);
    expect(byReason.InstanceLimit?.regarding).toMatchObject({ kind: "Node", name: "node-a" });
    expect(byReason.InstanceLimit?.type).toBe("Warning");
    ev.stop();
  });
});
