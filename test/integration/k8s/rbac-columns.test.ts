// Runs every ipamd/k8s call path against the stand-in with the ClusterRole
// from deploy/base/rbac.yaml ENFORCED for ipamd's token, then checks the RBAC
// both ways: every (group, resource[/subresource], verb) ipamd sent is
// granted, and every grant was used. Also checks that every printer column of
// the NodeIPAM CRD resolves against the status the publisher actually wrote.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { K8sClients } from "../../../ipamd/k8s/client.ts";
import { NodeEvents } from "../../../ipamd/k8s/events.ts";
import { NodeConditionPatcher } from "../../../ipamd/k8s/node-condition.ts";
import { readNodeInfo, resolveEniConfig, selectEniConfig } from "../../../ipamd/k8s/node-info.ts";
import { PodWatcher } from "../../../ipamd/k8s/pod-watcher.ts";
import { StatusPublisher } from "../../../ipamd/k8s/status-publisher.ts";
import { createEniConfig, createNode, createPod } from "../../support/fake-apiserver/fixtures.ts";
import type { JsonObject } from "../../support/fake-apiserver/patch.ts";
import type { RequestInfo } from "../../support/fake-apiserver/routes.ts";
import type { FakeApiServer } from "../../support/fake-apiserver/server.ts";
import { DEPLOY_DIR, IPAMD_TOKEN, startStandIn } from "./harness.ts";
import { sampleInput } from "./inputs.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function clusterRoleRules(): Rule[] {
  const text = readFileSync(join(DEPLOY_DIR, "base", "rbac.yaml"), "utf8");
  const role = parseAllDocuments(text)
    .map((d) => d.toJSON() as JsonObject)
    .find((o) => o.kind === "ClusterRole");
  return (role?.rules ?? []) as unknown as Rule[];
}

const grantKey = (group: string, resource: string, verb: string) => `${group || "core"} ${resource} ${verb}`;
const infoResource = (i: RequestInfo) => (i.subresource ? `${i.resource}/${i.subresource}` : i.resource);

const rules = clusterRoleRules();
const granted = new Set(
  rules.flatMap((r) =>
    r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => grantKey(g, res, v)))),
  ),
);

let api: FakeApiServer;
let clients: K8sClients;

beforeAll(async () => {
  ({ api, clients } = await startStandIn({
    authorize: (user, i) => user !== IPAMD_TOKEN || granted.has(grantKey(i.group, infoResource(i), i.verb)),
  }));
  createNode(api, "node-a", {
    "topology.kubernetes.io/zone": "us-west-2a",
    "node.kubernetes.io/instance-type": "m5.large",
  });
  createNode(api, "node-x", { "topology.kubernetes.io/zone": "us-west-2x" });
  createEniConfig(api, "us-west-2a", "subnet-0a1", ["sg-01"]);
  createPod(api, "default", "p1", "node-a");

  // A full ipamd/k8s session: every module, every call path.
  const node = await readNodeInfo(clients.core, "node-a");
  const byZone = { labelDef: "topology.kubernetes.io/zone" }; // ENI_CONFIG_LABEL_DEF
  await resolveEniConfig(clients.custom, selectEniConfig(node, byZone));
  await resolveEniConfig(
    clients.custom,
    selectEniConfig(await readNodeInfo(clients.core, "node-x"), byZone),
  ).catch(() => {});
  const watcher = new PodWatcher(clients, { nodeName: "node-a" });
  watcher.start();
  await watcher.waitForSync(5000);
  api.bookmarkNow();
  await watcher.stop();
  const pub = new StatusPublisher(clients.custom, { nodeName: "node-a", nodeUid: node.uid, intervalMs: 50 });
  pub.update(
    sampleInput(18, {
      exhausted: { cause: "SubnetFull", message: "subnet-0a1 has 0 free addresses" },
      lastAllocationError: {
        cause: "SubnetFull",
        message: "InsufficientFreeAddressesInSubnet",
        atMs: Date.now(),
      },
    }),
  );
  await pub.flush();
  await new NodeConditionPatcher(clients.core, "node-a").set({
    exhausted: true,
    cause: "SubnetFull",
    message: "x",
  });
  const ev = new NodeEvents(clients.events, { nodeName: "node-a", nodeUid: node.uid, intervalMs: 50 });
  ev.record("SubnetFull", "a");
  ev.record("SubnetFull", "b");
  await ev.settle();
  await new Promise((r) => setTimeout(r, 120));
  await ev.settle();
  ev.stop();
});
afterAll(() => api.stop());

describe("RBAC in deploy/base/rbac.yaml", () => {
  it("every request ipamd/k8s sent was authorized", () => {
    const denied = api.requestsBy(IPAMD_TOKEN).filter((r) => r.status === 403);
    expect(denied.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("grants exactly what ipamd/k8s calls, no more, no less", () => {
    const used = new Set(
      api
        .requestsBy(IPAMD_TOKEN)
        .filter((r) => r.info !== undefined)
        .map((r) => grantKey(r.info!.group, infoResource(r.info!), r.info!.verb)),
    );
    expect([...used].sort()).toEqual([...granted].sort());
  });
});

describe("NodeIPAM printer columns", () => {
  const crdText = readFileSync(join(DEPLOY_DIR, "base", "crds", "nodeipam.yaml"), "utf8");
  const crd = parseAllDocuments(crdText)[0]!.toJSON() as {
    spec: { versions: { additionalPrinterColumns: { name: string; type: string; jsonPath: string }[] }[] };
  };
  const columns = crd.spec.versions[0]!.additionalPrinterColumns;

  it("has the headroom columns", () => {
    expect(columns.map((c) => c.name)).toEqual([
      "Instance",
      "ENIs",
      "Max-ENIs",
      "Assigned",
      "Total",
      "Available",
      "Max-Pods",
      "Headroom",
      "Exhausted",
      "Age",
    ]);
  });

  for (const col of columns) {
    it(`${col.name} (${col.jsonPath}) resolves to a ${col.type} in the written object`, () => {
      const obj = api.store.get("vpccni.io/v1alpha1/nodeipams", undefined, "node-a");
      expect(obj).toBeDefined();
      expect(col.jsonPath).toMatch(/^(\.[A-Za-z][A-Za-z0-9]*)+$/); // simple paths only: what we can resolve
      let v: unknown = obj;
      for (const p of col.jsonPath.slice(1).split(".")) v = (v as Record<string, unknown> | undefined)?.[p];
      if (col.type === "integer") expect(Number.isInteger(v)).toBe(true);
      else if (col.type === "date") expect(Number.isNaN(Date.parse(String(v)))).toBe(false);
      else expect(typeof v).toBe("string");
    });
  }

  it("Exhausted shows the cause the publisher wrote", () => {
    const obj = api.store.get("vpccni.io/v1alpha1/nodeipams", undefined, "node-a")!;
    expect((obj.status as JsonObject).exhausted).toBe("SubnetFull");
  });
});
