// Where new ENIs go: the primary ENI's subnet, or with custom networking the
// ENIConfig's subnet and security groups (its empty list = the primary's).
import { describe, expect, it } from "vitest";
import { CustomNetworkingError, newEniSubnet } from "../../../ipamd/executor/eni-subnet.ts";

const primary = { subnetId: "subnet-prim", securityGroupIds: ["sg-prim1", "sg-prim2"] };
const cfg = { name: "us-west-2a", subnetId: "subnet-pods", securityGroupIds: ["sg-pods"] };

describe("newEniSubnet", () => {
  it("without custom networking: the primary ENI's subnet and groups, whatever ENIConfig exists", () => {
    expect(newEniSubnet(primary, false, undefined)).toEqual({
      id: "subnet-prim",
      securityGroupIds: ["sg-prim1", "sg-prim2"],
    });
    expect(newEniSubnet(primary, false, cfg).id).toBe("subnet-prim");
  });
  it("custom networking: the ENIConfig's subnet and groups", () => {
    expect(newEniSubnet(primary, true, cfg)).toEqual({ id: "subnet-pods", securityGroupIds: ["sg-pods"] });
  });
  it("custom networking with no securityGroups: the primary ENI's groups in the ENIConfig's subnet", () => {
    expect(newEniSubnet(primary, true, { ...cfg, securityGroupIds: [] })).toEqual({
      id: "subnet-pods",
      securityGroupIds: ["sg-prim1", "sg-prim2"],
    });
  });
  it("custom networking without an ENIConfig is an error naming the setting", () => {
    expect(() => newEniSubnet(primary, true, undefined)).toThrow(CustomNetworkingError);
    expect(() => newEniSubnet(primary, true, undefined)).toThrow(/AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG/);
  });
  it("does not share arrays with its inputs (the pool state is mutated in place)", () => {
    const s = newEniSubnet(primary, true, cfg);
    s.securityGroupIds.push("sg-x");
    expect(cfg.securityGroupIds).toEqual(["sg-pods"]);
  });
});
