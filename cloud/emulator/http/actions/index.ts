// The EC2 actions the emulator implements, by Action name.

import {
  describeInstances,
  describeInstanceTypes,
  describeNetworkInterfaces,
  describeSubnets,
  describeVpcs,
} from "./describe.ts";
import {
  assignPrivateIpAddresses,
  attachNetworkInterface,
  createNetworkInterface,
  createTags,
  deleteNetworkInterface,
  detachNetworkInterface,
  modifyNetworkInterfaceAttribute,
  unassignPrivateIpAddresses,
} from "./eni.ts";
import type { ActionHandler } from "./types.ts";
import { createSubnet, createVpc, runInstances, terminateInstances } from "./world.ts";

export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  DescribeInstances: describeInstances,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeSubnets: describeSubnets,
  DescribeVpcs: describeVpcs,
  DescribeInstanceTypes: describeInstanceTypes,
  CreateNetworkInterface: createNetworkInterface,
  AttachNetworkInterface: attachNetworkInterface,
  DetachNetworkInterface: detachNetworkInterface,
  DeleteNetworkInterface: deleteNetworkInterface,
  AssignPrivateIpAddresses: assignPrivateIpAddresses,
  UnassignPrivateIpAddresses: unassignPrivateIpAddresses,
  ModifyNetworkInterfaceAttribute: modifyNetworkInterfaceAttribute,
  CreateTags: createTags,
  CreateVpc: createVpc,
  CreateSubnet: createSubnet,
  RunInstances: runInstances,
  TerminateInstances: terminateInstances,
};

export type { ActionHandler } from "./types.ts";
