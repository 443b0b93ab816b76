import { describe, expect, it } from "vitest";
import { Ec2Error, type Ec2ErrorKind } from "../../../cloud/ec2/types.ts";
import { failureEffect, isGrowth } from "../../../ipamd/executor/outcome.ts";
import type { PlanAction } from "../../../ipamd/planner/types.ts";

const ctx = { instanceId: "i-0abc", instanceType: "m5.large", subnetId: "subnet-0abc", missing: 4 };
const create: PlanAction = {
  kind: "create-eni",
  subnetId: "subnet-0abc",
  securityGroupIds: [],
  deviceIndex: 2,
  ipCount: 9,
  prefixCount: 0,
};
const err = (kind: Ec2ErrorKind, code: string) => new Ec2Error({ kind, code, action: "X", message: "m" });

describe("failureEffect: EC2 error kind -> what the round does", () => {
  it.each<[Ec2ErrorKind, string, boolean, boolean, boolean, string | undefined]>([
    ["limit", "AttachmentLimitExceeded", true, false, false, "instance-limit"],
    ["subnet-full", "InsufficientFreeAddressesInSubnet", true, false, true, "subnet-full"],
    ["throttled", "RequestLimitExceeded", false, true, false, undefined],
    ["transient", "InternalError", false, true, false, undefined],
    ["invalid", "InvalidParameterValue", false, false, false, undefined],
    ["not-found", "InvalidNetworkInterfaceID.NotFound", false, false, false, undefined],
    ["unauthorized", "UnauthorizedOperation", false, false, false, undefined],
  ])("%s (%s)", (kind, code, stopGrowth, stopRound, subnetExhausted, cause) => {
    const e = failureEffect(create, err(kind, code), ctx);
    expect(e).toMatchObject({ errorKind: kind, stopGrowth, stopRound, subnetExhausted });
    expect(e.shortfall?.cause).toBe(cause);
  });

  it("puts the numbers and the node in the limit message", () => {
    const e = failureEffect(create, err("limit", "PrivateIpAddressLimitExceeded"), ctx);
    expect(e.shortfall?.message).toContain("i-0abc (m5.large)");
    expect(e.shortfall?.message).toContain("PrivateIpAddressLimitExceeded");
    expect(e.shortfall?.missing).toBe(4);
  });

  it("names the subnet when it is full", () => {
    expect(
      failureEffect(create, err("subnet-full", "InsufficientCidrBlocks"), ctx).shortfall?.message,
    ).toMatch(/subnet subnet-0abc has no free addresses/);
  });

  it("treats host-side failures (no EC2 error) as skip-this-action", () => {
    expect(failureEffect(create, new Error("no interface with MAC"), ctx)).toEqual({
      errorKind: "host",
      stopGrowth: false,
      stopRound: false,
      subnetExhausted: false,
    });
  });

  it("knows growth from shrinking", () => {
    expect(isGrowth(create)).toBe(true);
    expect(isGrowth({ kind: "assign-prefixes", eniId: "e", count: 1 })).toBe(true);
    expect(isGrowth({ kind: "release-ips", eniId: "e", ips: [] })).toBe(false);
    expect(isGrowth({ kind: "delete-eni", eniId: "e" })).toBe(false);
  });
});
