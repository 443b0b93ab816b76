import { describe, expect, it } from "vitest";
import { conditionChanged, conditionFor } from "../../../ipamd/k8s/node-condition.ts";
import { nextWriteAt } from "../../../ipamd/k8s/status-publisher.ts";
import { canonicalStatus, podHeadroom, renderStatus } from "../../../ipamd/k8s/status-render.ts";
import { sampleInput } from "../../integration/k8s/inputs.ts";

describe("renderStatus / canonicalStatus", () => {
  it("same content at different times has the same canonical form", () => {
    const s1 = renderStatus(sampleInput(3), [], 1000);
    const s2 = renderStatus(sampleInput(3), s1.conditions, 99_000);
    expect(s2.updatedAt).not.toBe(s1.updatedAt);
    expect(canonicalStatus(s2)).toBe(canonicalStatus(s1));
    expect(canonicalStatus(renderStatus(sampleInput(4), [], 1000))).not.toBe(canonicalStatus(s1));
  });

  it("subnet order does not matter; absent optional fields become null", () => {
    const subnets = [
      { id: "subnet-b", nodeAddresses: 1, freeInSubnet: undefined },
      { id: "subnet-a", nodeAddresses: 2, freeInSubnet: 5 },
    ];
    const s1 = renderStatus(sampleInput(3, { subnets }), [], 0);
    const s2 = renderStatus(sampleInput(3, { subnets: [...subnets].reverse() }), [], 0);
    expect(canonicalStatus(s1)).toBe(canonicalStatus(s2));
    expect(s1.subnets[0]).toEqual({ id: "subnet-a", nodeAddresses: 2, freeInSubnet: 5 });
    expect(s1.subnets[1]?.freeInSubnet).toBeNull();
    expect(s1.lastAllocationError).toBeNull();
  });

  it("lastTransitionTime moves only when a condition flips", () => {
    const s1 = renderStatus(sampleInput(3), [], 1000);
    const s2 = renderStatus(sampleInput(5), s1.conditions, 50_000);
    expect(s2.conditions[1]?.lastTransitionTime).toBe(s1.conditions[1]?.lastTransitionTime);
    const s3 = renderStatus(
      sampleInput(18, { exhausted: { cause: "SubnetFull", message: "m" } }),
      s2.conditions,
      90_000,
    );
    expect(s3.conditions[1]).toMatchObject({
      status: "True",
      reason: "SubnetFull",
      lastTransitionTime: "1970-01-01T00:01:30Z",
    });
  });

  it("pod headroom: instance ceiling, max pods, and a full subnet", () => {
    expect(podHeadroom(sampleInput(5))).toBe(22); // min(29, 27) - 5
    expect(podHeadroom(sampleInput(5, { maxPods: 17 }))).toBe(12);
    expect(podHeadroom(sampleInput(5, { exhausted: { cause: "SubnetFull", message: "" } }))).toBe(13); // 18 held - 5
    expect(podHeadroom(sampleInput(40, { maxPods: 17 }))).toBe(0);
  });
});

describe("write coalescing", () => {
  it("first write is immediate, then at most one per interval", () => {
    expect(nextWriteAt(undefined, 10_000, 5)).toBe(5);
    expect(nextWriteAt(1000, 10_000, 2000)).toBe(11_000);
    expect(nextWriteAt(1000, 10_000, 50_000)).toBe(50_000);
  });
});

describe("node condition", () => {
  it("patches only when status, reason or message change", () => {
    const t = conditionFor({ exhausted: true, cause: "InstanceLimit", message: "27 of 27" });
    expect(t).toEqual({
      type: "IPAMExhausted",
      status: "True",
      reason: "InstanceLimit",
      message: "27 of 27",
    });
    expect(conditionChanged(undefined, t)).toBe(true);
    expect(conditionChanged(t, { ...t })).toBe(false);
    expect(conditionChanged(t, { ...t, message: "26 of 27" })).toBe(true);
    const f = conditionFor({ exhausted: false });
    expect(f.status).toBe("False");
    expect(
      conditionChanged(f, conditionFor({ exhausted: false, message: "ignored when not exhausted" })),
    ).toBe(false);
  });
});
