// Built-in network limits of common instance types, typed from the AWS
// documentation ("Maximum IP addresses per network interface"), so ipamd can
// start without calling DescribeInstanceTypes. At run time DescribeInstanceTypes
// is authoritative; this table is the fallback and the emulator's source.
// SEED: a few types to start with; to be extended (see cloud/limits/README).

import type { InstanceTypeInfo } from "../ec2/types.ts";

export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeInfo>> = {
  "t3.micro": {
    instanceType: "t3.micro",
    maxEnis: 2,
    ipv4PerEni: 2,
    networkCards: [{ index: 0, maxEnis: 2 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "t3.small": {
    instanceType: "t3.small",
    maxEnis: 3,
    ipv4PerEni: 4,
    networkCards: [{ index: 0, maxEnis: 3 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "t3.medium": {
    instanceType: "t3.medium",
    maxEnis: 3,
    ipv4PerEni: 6,
    networkCards: [{ index: 0, maxEnis: 3 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "t3.large": {
    instanceType: "t3.large",
    maxEnis: 3,
    ipv4PerEni: 12,
    networkCards: [{ index: 0, maxEnis: 3 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "m5.large": {
    instanceType: "m5.large",
    maxEnis: 3,
    ipv4PerEni: 10,
    networkCards: [{ index: 0, maxEnis: 3 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "m5.xlarge": {
    instanceType: "m5.xlarge",
    maxEnis: 4,
    ipv4PerEni: 15,
    networkCards: [{ index: 0, maxEnis: 4 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "c5.large": {
    instanceType: "c5.large",
    maxEnis: 3,
    ipv4PerEni: 10,
    networkCards: [{ index: 0, maxEnis: 3 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "c5.xlarge": {
    instanceType: "c5.xlarge",
    maxEnis: 4,
    ipv4PerEni: 15,
    networkCards: [{ index: 0, maxEnis: 4 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "c5.4xlarge": {
    instanceType: "c5.4xlarge",
    maxEnis: 8,
    ipv4PerEni: 30,
    networkCards: [{ index: 0, maxEnis: 8 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "nitro",
    bareMetal: false,
  },
  "m4.large": {
    instanceType: "m4.large",
    maxEnis: 2,
    ipv4PerEni: 10,
    networkCards: [{ index: 0, maxEnis: 2 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "xen",
    bareMetal: false,
  },
  "t2.medium": {
    instanceType: "t2.medium",
    maxEnis: 3,
    ipv4PerEni: 6,
    networkCards: [{ index: 0, maxEnis: 3 }],
    defaultNetworkCardIndex: 0,
    hypervisor: "xen",
    bareMetal: false,
  },
};
