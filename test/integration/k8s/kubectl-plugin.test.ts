// kubectl-vpccni (bin/kubectl-vpccni, a real subprocess) against NodeIPAM
// objects that the status publisher wrote to the stand-in.

import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StatusPublisher } from "../../../ipamd/k8s/status-publisher.ts";
import { createNode, writeKubeconfig } from "../../support/fake-apiserver/fixtures.ts";
import type { FakeApiServer } from "../../support/fake-apiserver/server.ts";
import { ADMIN_TOKEN, startStandIn } from "./harness.ts";
import { sampleInput } from "./inputs.ts";

const PLUGIN = join(import.meta.dirname, "../../../bin/kubectl-vpccni");
let api: FakeApiServer;
let kubeconfig: string;

beforeAll(async () => {
  const s = await startStandIn();
  api = s.api;
  createNode(api, "node-a");
  createNode(api, "node-b");
  createNode(api, "node-c");
  const a = new StatusPublisher(s.clients.custom, { nodeName: "node-a" });
  a.update(sampleInput(5, { subnets: [{ id: "subnet-0a1", nodeAddresses: 18, freeInSubnet: 200 }] }));
  await a.flush();
  const b = new StatusPublisher(s.clients.custom, { nodeName: "node-b" });
  b.update(
    sampleInput(27, {
      instanceType: "t3.medium",
      enis: { attached: 3, max: 3 },
      addresses: { total: 27, assigned: 27, available: 0, cooldown: 0, max: 27 },
      subnets: [{ id: "subnet-0a1", nodeAddresses: 27, freeInSubnet: 180 }],
      exhausted: { cause: "InstanceLimit", message: "node holds 27 of its 27 pod addresses (3 ENIs x 9)" },
    }),
  );
  await b.flush();
  // node-c: ipamd created nothing yet; an object without status (created by hand) must not break the plugin.
  api.createObject("vpccni.io", "v1alpha1", "nodeipams", { metadata: { name: "node-c" } });
  kubeconfig = join(mkdtempSync(join(tmpdir(), "vpccni-")), "kubeconfig");
  writeKubeconfig(api, ADMIN_TOKEN, kubeconfig);
});
afterAll(() => api.stop());

describe("kubectl-vpccni", () => {
  it("prints per-node headroom and per-subnet usage, marking exhausted nodes", async () => {
    const { stdout } = await promisify(execFile)(PLUGIN, ["--kubeconfig", kubeconfig]);
    const lines = stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain("NODE INSTANCE ENIS ASSIGNED/TOTAL WARM MAX-PODS MORE-PODS-FIT STATUS");
    expect(lines).toContain("node-a m5.large 2/3 5/18 13 29 22 ok");
    expect(lines).toContain(
      "node-b t3.medium 3/3 27/27 0 29 0 EXHAUSTED (InstanceLimit: node holds 27 of its 27 pod addresses (3 ENIs x 9))",
    );
    expect(lines).toContain("SUBNET USED FREE NODES");
    expect(lines).toContain("subnet-0a1 45 180 2");
    expect(lines).toContain("no status yet: node-c");
    const byPlugin = api.requestsBy(ADMIN_TOKEN).map((r) => `${r.info?.verb} ${r.info?.resource}`);
    expect(byPlugin).toEqual(["list nodeipams"]);
  });

  it("fails with exit code 1 and a message when the API answers an error", async () => {
    await api.stop();
    const err = await promisify(execFile)(PLUGIN, ["--kubeconfig", kubeconfig]).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(1);
    expect((err as { stderr?: string }).stderr).toContain("cannot list nodeipams.vpccni.io");
    api = (await startStandIn()).api; // for afterAll
  });
});
