import { describe, expect, it } from "vitest";
import type { Ec2Api, InstanceTypeInfo } from "../../../cloud/ec2/types.ts";
import { Ec2Error } from "../../../cloud/ec2/types.ts";
import { INSTANCE_TYPES } from "../../../cloud/limits/instance-types.ts";
import { instanceLimits, maxPods } from "../../../cloud/limits/limits.ts";
import {
  clearInstanceTypeCache,
  instanceTypeRefresh,
  resolveInstanceLimits,
  resolveInstanceType,
  UnknownInstanceTypeError,
} from "../../../cloud/limits/resolve.ts";
import { loadPublicLimits } from "./shared-data.ts";

function t(name: string): InstanceTypeInfo {
  const info = INSTANCE_TYPES[name];
  if (info === undefined) throw new Error(`${name} not in table`);
  return info;
}

describe("maxPods, secondary-IP mode, against the published eni-max-pods.txt", () => {
  it.each([
    ["m5.large", 29],
    ["t3.medium", 17],
    ["c5.4xlarge", 234],
    ["t3.micro", 4],
    ["m4.large", 20],
    ["t3.small", 11],
    ["m5.xlarge", 58],
    ["m5.24xlarge", 737],
    ["t2.medium", 17],
  ] as const)("%s -> %i", (name, expected) => {
    expect(maxPods(t(name), { prefixDelegation: false })).toBe(expected);
  });
});

describe("maxPods, prefix delegation and the calculator's ceilings", () => {
  it.each([
    // [type, prefix, vCPUs, maxEni, expected]
    ["m5.large", true, 2, undefined, 110], // 3*(9*16)+2 = 434, capped at 110 (<= 30 vCPUs)
    ["m5.large", true, undefined, undefined, 110], // vCPUs unknown: conservative 110
    ["m5.24xlarge", true, 96, undefined, 250], // > 30 vCPUs: 250
    ["m5.large", false, 2, undefined, 29], // below the ceiling: unchanged
    ["c5.4xlarge", false, 16, undefined, 110], // calculator caps secondary mode too when vCPUs are known
    ["m4.large", true, 2, undefined, 20], // Xen: no prefixes, secondary formula
    ["t3.micro", true, 2, undefined, 2 * 16 + 2], // 2 ENIs x 1 slot x 16 + 2 = 34
    ["m5.large", false, undefined, 2, 2 * 9 + 2], // MAX_ENI lowers the ENI count
    ["m5.large", false, undefined, 10, 29], // MAX_ENI above the limit changes nothing
  ] as const)("%s prefix=%s vcpus=%s maxEni=%s -> %i", (name, prefix, vcpus, maxEni, expected) => {
    expect(
      maxPods(t(name), {
        prefixDelegation: prefix,
        ...(vcpus !== undefined ? { cpuCap: vcpus } : {}),
        ...(maxEni !== undefined ? { maxEni } : {}),
      }),
    ).toBe(expected);
  });

  it("custom networking gives up the primary ENI", () => {
    expect(maxPods(t("m5.large"), { prefixDelegation: false, customNetworking: true })).toBe(2 * 9 + 2);
  });
});

describe("instanceLimits", () => {
  it("plans with the default card only on multi-card types", () => {
    const l = instanceLimits(t("p4d.24xlarge"));
    expect(t("p4d.24xlarge").maxEnis).toBe(60);
    expect(l.maxEnis).toBe(15);
  });
  it.each([
    ["m5.large", true],
    ["m4.large", false],
    ["t2.medium", false],
    ["m5.metal", true],
  ] as const)("%s prefixDelegation=%s", (name, pd) => {
    expect(instanceLimits(t(name)).prefixDelegation).toBe(pd);
  });
  it("MAX_ENI lowers, never raises", () => {
    expect(instanceLimits(t("m5.large"), { maxEni: 1 }).maxEnis).toBe(1);
    expect(instanceLimits(t("m5.large"), { maxEni: 9 }).maxEnis).toBe(3);
  });
});

const pub = loadPublicLimits();
describe.skipIf(pub.table === undefined)("secondary-IP formula over all public types", () => {
  it("never below 2 and grows with ENIs x IPs (sanity over 1,391 types)", () => {
    let n = 0;
    for (const [name, p] of Object.entries(pub.table ?? {})) {
      const info: InstanceTypeInfo = {
        instanceType: name,
        maxEnis: p.maxNetworkInterfaces,
        ipv4PerEni: p.ipv4AddressesPerInterface,
        networkCards: p.networkCards.map((c) => ({ index: c.index, maxEnis: c.maxNetworkInterfaces })),
        defaultNetworkCardIndex: p.defaultNetworkCardIndex,
        hypervisor: p.hypervisor === "nitro" || p.hypervisor === "xen" ? p.hypervisor : "none",
        bareMetal: p.bareMetal,
      };
      const card0 =
        p.networkCards.find((c) => c.index === p.defaultNetworkCardIndex)?.maxNetworkInterfaces ?? 0;
      expect(maxPods(info, { prefixDelegation: false }), name).toBe(
        card0 * (p.ipv4AddressesPerInterface - 1) + 2,
      );
      n++;
    }
    expect(n).toBeGreaterThan(1000);
  });
});

describe("resolveInstanceType / resolveInstanceLimits", () => {
  function fakeEc2(answer: () => Promise<InstanceTypeInfo[]>) {
    let calls = 0;
    const ec2: Pick<Ec2Api, "describeInstanceTypes"> = {
      describeInstanceTypes: () => {
        calls++;
        return answer();
      },
    };
    return { ec2, calls: () => calls };
  }

  it("table first: answers without waiting for EC2, then the background refresh replaces it", async () => {
    clearInstanceTypeCache();
    const fromEc2 = { ...t("m5.large"), ipv4PerEni: 11 };
    let release: () => void = () => undefined;
    const f = fakeEc2(() => new Promise((r) => (release = () => r([fromEc2]))));
    expect(await resolveInstanceType(f.ec2, "m5.large")).toEqual({ info: t("m5.large"), source: "table" });
    expect(f.calls()).toBe(1); // started in the background, not awaited
    release();
    await instanceTypeRefresh("m5.large");
    expect(await resolveInstanceType(f.ec2, "m5.large")).toEqual({ info: fromEc2, source: "ec2" });
    expect((await resolveInstanceLimits(f.ec2, "m5.large")).ipv4PerEni).toBe(11);
    expect(f.calls()).toBe(1);
  });

  it("asks EC2 first for a type the table does not know", async () => {
    clearInstanceTypeCache();
    const fromEc2 = { ...t("m5.large"), instanceType: "zz1.new" };
    const f = fakeEc2(async () => [fromEc2]);
    expect(await resolveInstanceType(f.ec2, "zz1.new")).toEqual({ info: fromEc2, source: "ec2" });
    expect(f.calls()).toBe(1);
  });

  it("keeps the table when the background refresh fails or answers zeros", async () => {
    clearInstanceTypeCache();
    const failing = fakeEc2(async () => {
      throw new Ec2Error({
        kind: "transient",
        code: "InternalError",
        action: "DescribeInstanceTypes",
        message: "x",
      });
    });
    expect((await resolveInstanceType(failing.ec2, "t3.medium")).source).toBe("table");
    await instanceTypeRefresh("t3.medium");
    expect((await resolveInstanceType(failing.ec2, "t3.medium")).source).toBe("table");
    clearInstanceTypeCache();
    const zeros = fakeEc2(async () => [{ ...t("t3.medium"), maxEnis: 0, ipv4PerEni: 0 }]);
    await resolveInstanceType(zeros.ec2, "t3.medium");
    await instanceTypeRefresh("t3.medium");
    expect(await resolveInstanceType(zeros.ec2, "t3.medium")).toEqual({
      info: t("t3.medium"),
      source: "table",
    });
  });

  it("raises UnknownInstanceTypeError for a type nobody knows, and does not cache the failure", async () => {
    clearInstanceTypeCache();
    const f = fakeEc2(async () => []);
    await expect(resolveInstanceType(f.ec2, "zz9.huge")).rejects.toBeInstanceOf(UnknownInstanceTypeError);
    await expect(resolveInstanceType(f.ec2, "zz9.huge")).rejects.toBeInstanceOf(UnknownInstanceTypeError);
    expect(f.calls()).toBe(2);
  });
});
