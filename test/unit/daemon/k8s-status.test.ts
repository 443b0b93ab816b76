// The daemon's Kubernetes view of its pool: shortfall/EC2 error -> cause,
// when a node counts as exhausted, per-subnet usage, and the status input.
import { describe, expect, it } from "vitest";
import {
  causeOfEc2ErrorKind,
  causeOfShortfall,
  conditionState,
  exhaustion,
  statusInput,
  subnetUsage,
} from "../../../ipamd/daemon/k8s-status.ts";

const limit = {
  cause: "instance-limit" as const,
  missing: 3,
  message: "node holds 15 of its 15 pod addresses",
};

describe("cause mapping", () => {
  it("planner shortfalls", () => {
    expect(causeOfShortfall("instance-limit")).toBe("InstanceLimit");
    expect(causeOfShortfall("max-eni")).toBe("InstanceLimit");
    expect(causeOfShortfall("subnet-full")).toBe("SubnetFull");
    expect(causeOfShortfall("subnet-backoff")).toBe("SubnetFull");
  });
  it("EC2 error kinds; others are not about capacity", () => {
    expect(causeOfEc2ErrorKind("limit")).toBe("InstanceLimit");
    expect(causeOfEc2ErrorKind("subnet-full")).toBe("SubnetFull");
    expect(causeOfEc2ErrorKind("throttled")).toBe("Throttled");
    expect(causeOfEc2ErrorKind("transient")).toBeUndefined();
    expect(causeOfEc2ErrorKind("host")).toBeUndefined();
  });
});

describe("exhaustion", () => {
  const base = { available: 0, shortfall: undefined, lastAllocationError: undefined, lastCleanRoundMs: 100 };
  it("needs no free address", () => {
    expect(exhaustion({ ...base, available: 1, shortfall: limit })).toBeUndefined();
  });
  it("no free address while the pool can still grow is not exhaustion", () => {
    expect(exhaustion(base)).toBeUndefined();
  });
  it("the shortfall's cause and message", () => {
    expect(exhaustion({ ...base, shortfall: limit })).toEqual({
      cause: "InstanceLimit",
      message: limit.message,
    });
    expect(exhaustion({ ...base, shortfall: { ...limit, cause: "subnet-backoff" } })?.cause).toBe(
      "SubnetFull",
    );
  });
  it("throttling counts only since the last clean round", () => {
    const err = { cause: "Throttled" as const, message: "EC2 throttled", atMs: 200 };
    expect(exhaustion({ ...base, lastAllocationError: err })?.cause).toBe("Throttled");
    expect(exhaustion({ ...base, lastAllocationError: err, lastCleanRoundMs: 300 })).toBeUndefined();
    expect(exhaustion({ ...base, lastAllocationError: { ...err, cause: "InstanceLimit" } })).toBeUndefined();
  });
  it("condition state", () => {
    expect(conditionState(undefined)).toEqual({ exhausted: false });
    expect(conditionState({ cause: "SubnetFull", message: "m" })).toEqual({
      exhausted: true,
      cause: "SubnetFull",
      message: "m",
    });
  });
});

describe("subnetUsage", () => {
  it("sums per subnet, always lists the subnet new ENIs go to, and passes free counts through", () => {
    const free = new Map([["subnet-a", 200]]);
    const u = subnetUsage(
      [
        { subnetId: "subnet-a", addresses: 5 },
        { subnetId: "subnet-a", addresses: 6 },
        { subnetId: "subnet-b", addresses: 16 },
      ],
      "subnet-c",
      (id) => free.get(id),
    );
    expect(u.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: "subnet-a", nodeAddresses: 11, freeInSubnet: 200 },
      { id: "subnet-b", nodeAddresses: 16, freeInSubnet: undefined },
      { id: "subnet-c", nodeAddresses: 0, freeInSubnet: undefined },
    ]);
  });
});

describe("statusInput", () => {
  it("maps counts and limits; optional fields only when set", () => {
    const counts = {
      total: 15,
      assigned: 15,
      available: 0,
      cooldown: 0,
      enis: 3,
      prefixes: 0,
      freePrefixes: 0,
    };
    const common = {
      instanceType: "t3.medium",
      counts,
      maxEnis: 3,
      maxAddresses: 15,
      prefixDelegation: false,
      maxPods: 17,
      subnets: [],
      lastAllocationError: undefined,
      ready: true,
    };
    const ok = statusInput({ ...common, exhausted: undefined });
    expect(ok).toEqual({
      instanceType: "t3.medium",
      enis: { attached: 3, max: 3 },
      addresses: { total: 15, assigned: 15, available: 0, cooldown: 0, max: 15 },
      prefixes: { attached: 0, delegation: false },
      maxPods: 17,
      subnets: [],
      ready: true,
    });
    const ex = statusInput({ ...common, exhausted: { cause: "InstanceLimit", message: "m" } });
    expect(ex.exhausted).toEqual({ cause: "InstanceLimit", message: "m" });
  });
});
