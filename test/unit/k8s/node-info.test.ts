import { describe, expect, it } from "vitest";
import { EniConfigInvalidError } from "../../../ipamd/k8s/errors.ts";
import { type NodeInfo, parseEniConfigSpec, selectEniConfig } from "../../../ipamd/k8s/node-info.ts";

const node = (labels: Record<string, string>, annotations: Record<string, string> = {}): NodeInfo => ({
  name: "n",
  uid: "u",
  labels,
  annotations,
  instanceType: undefined,
});

describe("selectEniConfig", () => {
  it("annotation beats label beats the name 'default'", () => {
    const zone = { "topology.kubernetes.io/zone": "az1", custom: "c1" };
    expect(selectEniConfig(node(zone, { "k8s.amazonaws.com/eniConfig": "x" })).name).toBe("x");
    expect(selectEniConfig(node(zone)).name).toBe("az1");
    expect(selectEniConfig(node(zone), { labelDef: "custom" })).toEqual({
      name: "c1",
      selectedBy: "label custom",
    });
    expect(selectEniConfig(node({})).name).toBe("default");
    expect(selectEniConfig(node({}, { mine: "m" }), { annotationDef: "mine" }).name).toBe("m");
  });
});

describe("parseEniConfigSpec", () => {
  it("accepts a subnet and security groups, empty groups allowed", () => {
    expect(parseEniConfigSpec("a", { spec: { subnet: "subnet-0ab", securityGroups: ["sg-01"] } })).toEqual({
      name: "a",
      subnetId: "subnet-0ab",
      securityGroupIds: ["sg-01"],
    });
    expect(parseEniConfigSpec("a", { spec: { subnet: "subnet-0ab" } }).securityGroupIds).toEqual([]);
  });
  it("rejects a missing subnet or bad group ids, naming the ENIConfig", () => {
    expect(() => parseEniConfigSpec("zz", { spec: {} })).toThrow(/ENIConfig "zz" is invalid: spec.subnet/);
    expect(() =>
      parseEniConfigSpec("zz", { spec: { subnet: "subnet-1", securityGroups: ["default"] } }),
    ).toThrow(EniConfigInvalidError);
  });
});
