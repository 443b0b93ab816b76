// ipamd's Kubernetes calls (ipamd/k8s/rest.ts) reuse their connection: the
// library builds a new undici Agent per call, which on a real cluster means a
// TCP and TLS handshake per status write or Event, from every node.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { K8sClients } from "../../../ipamd/k8s/client.ts";
import { createNode } from "../../support/fake-apiserver/fixtures.ts";
import type { FakeApiServer } from "../../support/fake-apiserver/server.ts";
import { startStandIn } from "./harness.ts";

describe("Kubernetes calls share one keep-alive connection pool", () => {
  let api: FakeApiServer;
  let clients: K8sClients;
  beforeEach(async () => {
    ({ api, clients } = await startStandIn());
    createNode(api, "n1", {});
  });
  afterEach(async () => {
    await api.stop();
  });

  it("ten calls one after the other: at most two connections (one per call before)", async () => {
    // Two, not one: undici hands the connection back to its pool a tick after
    // the body ends, so a call sent at once after the first opens a second
    // (a bare undici Agent does the same here); from then on both are reused.
    for (let i = 0; i < 10; i++) await clients.core.readNode({ name: "n1" });
    expect(api.connections).toBeLessThanOrEqual(2);
  });

  it("calls at once open at most one connection each, and the next calls reuse them", async () => {
    await Promise.all([1, 2, 3].map(() => clients.core.readNode({ name: "n1" })));
    const afterBurst = api.connections;
    expect(afterBurst).toBeGreaterThanOrEqual(1);
    expect(afterBurst).toBeLessThanOrEqual(3);
    for (let i = 0; i < 5; i++) await clients.core.readNode({ name: "n1" });
    expect(api.connections).toBe(afterBurst);
  });
});
