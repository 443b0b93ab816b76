// refreshTaints decides when ipamd "caught up" with a fault done behind its
// back; a pod that got the address before then is the fault's casualty. A
// rehearsal of CI caught the harness clearing a taint while the fault's EC2
// call was still in flight (ipamd and EC2 still agreeing), so a pod that
// got the address in that window was reported as a violation.
import { describe, expect, it } from "vitest";
import type { Cluster } from "../../harness/index.ts";
import { refreshTaints } from "../../soak/faults.ts";
import { Ledger, type Taint } from "../../soak/ledger.ts";
import type { SoakPod } from "../../soak/pods.ts";

/** The three things refreshTaints reads of a cluster: EC2's ENIs, ipamd's view, the node's instance. */
function fakeCluster(ec2Ips: string[], ipamdIps: string[]): Cluster {
  const eni = {
    id: "eni-1",
    status: "in-use",
    secondaryIps: ec2Ips,
    prefixes: [],
    attachment: { instanceId: "i-b", deviceIndex: 1, attachmentId: "attach-1" },
  };
  return {
    emulator: { admin: { state: () => ({ enis: [eni] }) } },
    introspect: async () => [{ id: "eni-1", ips: ipamdIps }],
    node: () => ({ instanceId: "i-b" }),
  } as unknown as Cluster;
}

const pod = (ip: string, addStartMs: number): SoakPod =>
  ({
    id: 1,
    node: "b",
    name: "soak-1",
    containerId: "c1",
    netns: "/x",
    ip,
    addStartMs,
    addDoneMs: 0,
  }) as SoakPod;

describe("refreshTaints", () => {
  it("does not clear a taint whose fault has not landed, though ipamd and EC2 still agree", async () => {
    const ledger = new Ledger();
    const taint: Taint = { node: "b", what: "unassign", ips: new Set(["10.0.2.35"]), landed: false };
    ledger.taint(taint);
    // The unassign is in flight: both still hold the address.
    await refreshTaints(fakeCluster(["10.0.2.35"], ["10.0.2.35"]), ledger, new Set());
    expect(taint.clearedAt).toBeUndefined();
    // A pod gets the address now, and the unassign lands: it is the fault's casualty.
    ledger.addLive(pod("10.0.2.35", performance.now()));
    taint.landed = true;
    expect(ledger.casualties.has("soak-1")).toBe(true);
  });

  it("clears a landed taint once ipamd's view agrees with EC2 (the address gone from both)", async () => {
    const ledger = new Ledger();
    const taint: Taint = { node: "b", what: "unassign", ips: new Set(["10.0.2.35"]), landed: true };
    ledger.taint(taint);
    await refreshTaints(fakeCluster([], ["10.0.2.35"]), ledger, new Set()); // ipamd has not noticed
    expect(taint.clearedAt).toBeUndefined();
    await refreshTaints(fakeCluster([], []), ledger, new Set());
    expect(taint.clearedAt).toBeDefined();
    // A pod whose ADD starts after that is no casualty: ipamd knew.
    ledger.addLive(pod("10.0.2.35", performance.now() + 1));
    expect(ledger.casualties.has("soak-1")).toBe(false);
  });
});
