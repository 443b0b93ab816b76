// World-building actions: CreateVpc, CreateSubnet, RunInstances, TerminateInstances.

import { fault } from "../../rules/fault.ts";
import { instanceXml, subnetXml, vpcXml } from "../render.ts";
import { el, node, set } from "../xml.ts";
import type { ActionHandler } from "./types.ts";

export const createVpc: ActionHandler = ({ world, params }) => {
  const vpc = world.createVpc(params.required("CidrBlock"), params.tagSpecification("vpc"));
  return node("vpc", vpcXml(vpc));
};

export const createSubnet: ActionHandler = ({ world, params }) => {
  const az = params.get("AvailabilityZone");
  const subnet = world.createSubnet({
    vpcId: params.required("VpcId"),
    cidr: params.required("CidrBlock"),
    ...(az === undefined ? {} : { availabilityZone: az }),
    tags: params.tagSpecification("subnet"),
  });
  return node("subnet", subnetXml(subnet));
};

export const runInstances: ActionHandler = ({ world, params }) => {
  const min = params.requiredInt("MinCount");
  const max = params.requiredInt("MaxCount");
  if (min < 1 || max < min) {
    throw fault("InvalidParameterValue", `Invalid MinCount (${min}) / MaxCount (${max}).`);
  }
  const imageId = params.get("ImageId");
  const instances = world.runInstances({
    instanceType: params.get("InstanceType") ?? "m1.small",
    subnetId: params.required("SubnetId"),
    count: max,
    ...(imageId === undefined ? {} : { imageId }),
    securityGroupIds: params.list("SecurityGroupId"),
    tags: params.tagSpecification("instance"),
  });
  return (
    el("reservationId", instances[0]!.reservationId) +
    el("ownerId", world.config.accountId) +
    set("groupSet", []) +
    set(
      "instancesSet",
      instances.map((i) => instanceXml(world, i)),
    )
  );
};

export const terminateInstances: ActionHandler = async ({ world, params }) => {
  const ids = params.list("InstanceId");
  if (ids.length === 0) throw fault("MissingParameter", "The request must contain the parameter InstanceId");
  const changes = await world.terminateInstances(ids);
  const code = (s: string) => ({ pending: 0, running: 16, "shutting-down": 32, terminated: 48 })[s] ?? 0;
  return set(
    "instancesSet",
    changes.map(
      (c) =>
        el("instanceId", c.id) +
        node("currentState", el("code", code(c.current)), el("name", c.current)) +
        node("previousState", el("code", code(c.previous)), el("name", c.previous)),
    ),
  );
};
