// Built-in network limits of common instance types, typed from the AWS
// documentation ("Maximum IP addresses per network interface", EC2 User
// Guide), so ipamd can start without calling DescribeInstanceTypes. At run
// time DescribeInstanceTypes is authoritative (see ./resolve.ts); this table
// is the fallback and the emulator's source.
//
// Families people run EKS on: t2/t3/t3a, m4/m5/m5a/m6i/m6g/m7i/m7g,
// c4/c5/c6i/c6g/c7g, r5/r6i; bare metal m5.metal/c5.metal; multi-card
// c6in.32xlarge and p4d.24xlarge. Checked entry by entry against the public
// limits table by test/unit/cloud/instance-types.test.ts.

import type { InstanceTypeInfo } from "../ec2/types.ts";

type Hv = InstanceTypeInfo["hypervisor"];
/** [size, ENIs (card 0), IPv4 per ENI] */
type Size = readonly [string, number, number];

function family(name: string, hypervisor: Hv, sizes: readonly Size[]): InstanceTypeInfo[] {
  return sizes.map(([size, enis, ips]) => ({
    instanceType: `${name}.${size}`,
    maxEnis: enis,
    ipv4PerEni: ips,
    networkCards: [{ index: 0, maxEnis: enis }],
    defaultNetworkCardIndex: 0,
    hypervisor,
    bareMetal: false,
  }));
}

function metal(instanceType: string, enis: number, ips: number): InstanceTypeInfo {
  // Bare metal has no hypervisor: DescribeInstanceTypes reports none.
  return {
    instanceType,
    maxEnis: enis,
    ipv4PerEni: ips,
    networkCards: [{ index: 0, maxEnis: enis }],
    defaultNetworkCardIndex: 0,
    hypervisor: "none",
    bareMetal: true,
  };
}

/** Several network cards: maxEnis counts every card; ipamd uses the default card. */
function multiCard(instanceType: string, cards: number, enisPerCard: number, ips: number): InstanceTypeInfo {
  return {
    instanceType,
    maxEnis: cards * enisPerCard,
    ipv4PerEni: ips,
    networkCards: Array.from({ length: cards }, (_, index) => ({ index, maxEnis: enisPerCard })),
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  };
}

// Burstable sizes. t3a.small has one ENI fewer than t3.small; t2 stays at 3 ENIs.
const T3: Size[] = [
  ["nano", 2, 2],
  ["micro", 2, 2],
  ["small", 3, 4],
  ["medium", 3, 6],
  ["large", 3, 12],
  ["xlarge", 4, 15],
  ["2xlarge", 4, 15],
];
const T2: Size[] = [
  ["nano", 2, 2],
  ["micro", 2, 2],
  ["small", 3, 4],
  ["medium", 3, 6],
  ["large", 3, 12],
  ["xlarge", 3, 15],
  ["2xlarge", 3, 15],
];
// The common Nitro ladder: large 3x10, xlarge/2xlarge 4x15, 4x..12x 8x30, 16x+ 15x50.
const STD: Size[] = [
  ["large", 3, 10],
  ["xlarge", 4, 15],
  ["2xlarge", 4, 15],
  ["4xlarge", 8, 30],
  ["8xlarge", 8, 30],
  ["12xlarge", 8, 30],
  ["16xlarge", 15, 50],
  ["24xlarge", 15, 50],
];
// Graviton families add a medium size.
const GRAVITON: Size[] = [["medium", 2, 4], ...STD.filter(([s]) => s !== "24xlarge")];

const ALL: InstanceTypeInfo[] = [
  ...family("t2", "xen", T2),
  ...family("t3", "nitro", T3),
  ...family(
    "t3a",
    "nitro",
    T3.map((s): Size => (s[0] === "small" ? ["small", 2, 4] : s)),
  ),
  ...family("m4", "xen", [
    ["large", 2, 10],
    ["xlarge", 4, 15],
    ["2xlarge", 4, 15],
    ["4xlarge", 8, 30],
    ["10xlarge", 8, 30],
    ["16xlarge", 8, 30],
  ]),
  ...family("c4", "xen", [
    ["large", 3, 10],
    ["xlarge", 4, 15],
    ["2xlarge", 4, 15],
    ["4xlarge", 8, 30],
    ["8xlarge", 8, 30],
  ]),
  ...family("m5", "nitro", STD),
  ...family("m5a", "nitro", STD),
  ...family("m6i", "nitro", [...STD, ["32xlarge", 15, 50]]),
  ...family("m7i", "nitro", [...STD, ["48xlarge", 15, 50]]),
  ...family("m6g", "nitro", GRAVITON),
  ...family("m7g", "nitro", GRAVITON),
  ...family("c5", "nitro", [
    ["large", 3, 10],
    ["xlarge", 4, 15],
    ["2xlarge", 4, 15],
    ["4xlarge", 8, 30],
    ["9xlarge", 8, 30],
    ["12xlarge", 8, 30],
    ["18xlarge", 15, 50],
    ["24xlarge", 15, 50],
  ]),
  ...family("c6i", "nitro", [...STD, ["32xlarge", 15, 50]]),
  ...family("c6g", "nitro", GRAVITON),
  ...family("c7g", "nitro", GRAVITON),
  ...family("r5", "nitro", STD),
  ...family("r6i", "nitro", [...STD, ["32xlarge", 15, 50]]),
  metal("m5.metal", 15, 50),
  metal("c5.metal", 15, 50),
  multiCard("c6in.32xlarge", 2, 8, 50),
  multiCard("p4d.24xlarge", 4, 15, 50),
];

export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = Object.freeze(
  Object.fromEntries(ALL.map((t) => [t.instanceType, t])),
);
