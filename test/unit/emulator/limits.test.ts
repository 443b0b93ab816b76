import { describe, expect, it } from "vitest";
import type { InstanceTypeInfo } from "../../../cloud/ec2/types.ts";
import {
  type AttachRequest,
  checkAddressRequestShape,
  checkAddSlots,
  checkAttach,
  unattachedSlotLimit,
} from "../../../cloud/emulator/rules/limits.ts";
import { INSTANCE_TYPES } from "../../../cloud/limits/instance-types.ts";

const m5: InstanceTypeInfo = {
  instanceType: "m5.large",
  maxEnis: 3,
  ipv4PerEni: 10,
  networkCards: [{ index: 0, maxEnis: 3 }],
  defaultNetworkCardIndex: 0,
  hypervisor: "nitro",
  bareMetal: false,
};
const xen: InstanceTypeInfo = { ...m5, instanceType: "m4.large", hypervisor: "xen" };

describe("checkAddSlots", () => {
  it.each([
    // current secondaries/prefixes, add secondaries/prefixes, type, expected code
    [0, 0, 9, 0, m5, undefined],
    [0, 0, 10, 0, m5, "PrivateIpAddressLimitExceeded"],
    [5, 0, 4, 0, m5, undefined],
    [5, 4, 1, 0, m5, "PrivateIpAddressLimitExceeded"],
    [0, 0, 0, 9, m5, undefined], // each /28 is one slot
    [0, 9, 0, 1, m5, "PrivateIpAddressLimitExceeded"],
    [0, 0, 0, 1, xen, "UnsupportedOperation"],
  ] as const)("cur %i+%i, add %i+%i on %o -> %s", (cs, cp, as, ap, type, code) => {
    const f = checkAddSlots(
      type,
      "eni-1",
      { secondaryCount: cs, prefixCount: cp },
      { secondaryCount: as, prefixCount: ap },
    );
    expect(f?.code).toBe(code);
  });
});

describe("checkAddressRequestShape", () => {
  it.each([
    [{ ipCount: 2, explicitIps: 0, prefixCount: undefined }, undefined],
    [{ ipCount: 2, explicitIps: 0, prefixCount: 1 }, "InvalidParameterCombination"],
    [{ ipCount: 1, explicitIps: 1, prefixCount: undefined }, "InvalidParameterCombination"],
    [{ ipCount: undefined, explicitIps: 2, prefixCount: 1 }, "InvalidParameterCombination"],
    [{ ipCount: 0, explicitIps: 0, prefixCount: undefined }, "InvalidParameterValue"],
    [{ ipCount: undefined, explicitIps: 0, prefixCount: -1 }, "InvalidParameterValue"],
  ])("%o -> %s", (req, code) => {
    expect(checkAddressRequestShape(req)?.code).toBe(code);
  });
});

describe("checkAttach", () => {
  const base: AttachRequest = {
    instanceId: "i-1",
    instanceAz: "us-east-1a",
    eniId: "eni-1",
    eniAz: "us-east-1a",
    deviceIndex: 1,
    networkCardIndex: 0,
    existing: [{ deviceIndex: 0, networkCardIndex: 0 }],
    eniSlots: { secondaryCount: 0, prefixCount: 0 },
  };
  it.each([
    ["a free device index", {}, m5, undefined, undefined],
    ["another AZ", { eniAz: "us-east-1b" }, m5, "InvalidParameterValue", /different availability zones/],
    [
      "a taken device index",
      { deviceIndex: 0 },
      m5,
      "InvalidParameterValue",
      /already has an interface attached at device index '0'/,
    ],
    ["an unknown network card", { networkCardIndex: 1 }, m5, "InvalidParameterValue", /Network card index/],
    [
      "a full instance",
      {
        deviceIndex: 3,
        existing: [0, 1, 2].map((d) => ({ deviceIndex: d, networkCardIndex: 0 })),
      },
      m5,
      "AttachmentLimitExceeded",
      undefined,
    ],
    [
      "an ENI with prefixes on Xen",
      { eniSlots: { secondaryCount: 0, prefixCount: 1 } },
      xen,
      "UnsupportedOperation",
      undefined,
    ],
    [
      "an ENI with too many IPs",
      { eniSlots: { secondaryCount: 10, prefixCount: 0 } },
      m5,
      "PrivateIpAddressLimitExceeded",
      undefined,
    ],
  ] as const)("%s", (_name, patch, type, code, message) => {
    const f = checkAttach(type, { ...base, ...patch });
    expect(f?.code).toBe(code);
    if (message) expect(f?.message).toMatch(message);
  });
});

it("caps unattached ENIs at the largest per-ENI limit in the table", () => {
  const max = Math.max(...Object.values(INSTANCE_TYPES).map((t) => t.ipv4PerEni));
  expect(unattachedSlotLimit(Object.values(INSTANCE_TYPES))).toBe(max);
});
