// Node info + ENIConfig resolution with the real client against the stand-in.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { K8sClients } from "../../../ipamd/k8s/client.ts";
import {
  EniConfigInvalidError,
  EniConfigNotFoundError,
  NodeNotFoundError,
} from "../../../ipamd/k8s/errors.ts";
import { readNodeInfo, resolveEniConfig, selectEniConfig } from "../../../ipamd/k8s/node-info.ts";
import { createEniConfig, createNode } from "../../support/fake-apiserver/fixtures.ts";
import type { FakeApiServer } from "../../support/fake-apiserver/server.ts";
import { startStandIn } from "./harness.ts";

let api: FakeApiServer;
let clients: K8sClients;
// One ENIConfig per AZ: ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone (the AWS default key is k8s.amazonaws.com/eniConfig).
const BY_ZONE = { labelDef: "topology.kubernetes.io/zone" };

beforeAll(async () => {
  ({ api, clients } = await startStandIn());
  createNode(api, "node-a", {
    "node.kubernetes.io/instance-type": "m5.large",
    "topology.kubernetes.io/zone": "us-west-2a",
  });
  createNode(
    api,
    "node-b",
    { "topology.kubernetes.io/zone": "us-west-2b" },
    { "k8s.amazonaws.com/eniConfig": "special" },
  );
  createNode(api, "node-c", { "topology.kubernetes.io/zone": "us-west-2c" });
  createNode(api, "node-d", { "topology.kubernetes.io/zone": "us-west-2d" });
  createNode(api, "node-e", {
    "topology.kubernetes.io/zone": "us-west-2a",
    "k8s.amazonaws.com/eniConfig": "special",
  });
  createNode(api, "node-f", {
    "vpc.amazonaws.com/externalEniConfig": "special",
    "k8s.amazonaws.com/eniConfig": "x",
  });
  createEniConfig(api, "us-west-2a", "subnet-0a1", ["sg-01", "sg-02"]);
  createEniConfig(api, "special", "subnet-0b2", []);
  createEniConfig(api, "us-west-2d", "not-a-subnet", []);
});
afterAll(() => api.stop());

describe("node info", () => {
  it("reads labels and the instance type of its own Node", async () => {
    const n = await readNodeInfo(clients.core, "node-a");
    expect(n.instanceType).toBe("m5.large");
    expect(n.uid).toMatch(/[0-9a-f-]{36}/);
    expect(n.labels["topology.kubernetes.io/zone"]).toBe("us-west-2a");
  });

  it("names the missing node", async () => {
    await expect(readNodeInfo(clients.core, "ghost")).rejects.toThrow(NodeNotFoundError);
  });

  it("resolves the ENIConfig selected by the zone label", async () => {
    const n = await readNodeInfo(clients.core, "node-a");
    const sel = selectEniConfig(n, BY_ZONE);
    expect(sel).toEqual({ name: "us-west-2a", selectedBy: "label topology.kubernetes.io/zone" });
    expect(await resolveEniConfig(clients.custom, sel)).toEqual({
      name: "us-west-2a",
      subnetId: "subnet-0a1",
      securityGroupIds: ["sg-01", "sg-02"],
    });
  });

  it("prefers the annotation over the label, as the AWS VPC CNI does", async () => {
    const n = await readNodeInfo(clients.core, "node-b");
    const spec = await resolveEniConfig(clients.custom, selectEniConfig(n, BY_ZONE));
    expect(spec).toEqual({ name: "special", subnetId: "subnet-0b2", securityGroupIds: [] });
  });

  it("by default selects by the label k8s.amazonaws.com/eniConfig, as the AWS VPC CNI does", async () => {
    const n = await readNodeInfo(clients.core, "node-e");
    expect(selectEniConfig(n)).toEqual({ name: "special", selectedBy: "label k8s.amazonaws.com/eniConfig" });
    expect((await resolveEniConfig(clients.custom, selectEniConfig(n))).subnetId).toBe("subnet-0b2");
  });

  it("the label vpc.amazonaws.com/externalEniConfig wins over the others", async () => {
    const n = await readNodeInfo(clients.core, "node-f");
    expect(selectEniConfig(n, BY_ZONE).selectedBy).toBe("label vpc.amazonaws.com/externalEniConfig");
    expect((await resolveEniConfig(clients.custom, selectEniConfig(n))).name).toBe("special");
  });

  it("a missing ENIConfig fails with a message naming it and what exists", async () => {
    const n = await readNodeInfo(clients.core, "node-c");
    const err = await resolveEniConfig(clients.custom, selectEniConfig(n, BY_ZONE)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EniConfigNotFoundError);
    expect((err as Error).message).toBe(
      'ENIConfig "us-west-2c" (selected by label topology.kubernetes.io/zone) not found (existing: special, us-west-2a, us-west-2d)',
    );
  });

  it("an ENIConfig with a bad subnet is rejected", async () => {
    const n = await readNodeInfo(clients.core, "node-d");
    await expect(resolveEniConfig(clients.custom, selectEniConfig(n, BY_ZONE))).rejects.toThrow(
      EniConfigInvalidError,
    );
  });
});
