// ENI actions: create, attach, detach, delete, assign, unassign, modify, tags.

import { fault } from "../../rules/fault.ts";
import {
  assignAddresses,
  attachEni,
  createEni,
  deleteEni,
  detachEni,
  modifyEni,
  unassignAddresses,
} from "../../state/eni-ops.ts";
import { eniXml } from "../render.ts";
import { el, set } from "../xml.ts";
import type { ActionHandler } from "./types.ts";

const ok = el("return", true);

export const createNetworkInterface: ActionHandler = ({ world, params }) => {
  const eni = createEni(world, {
    subnetId: params.required("SubnetId"),
    ...optional("primaryIp", params.get("PrivateIpAddress")),
    ...optional("ipCount", params.int("SecondaryPrivateIpAddressCount")),
    ...optional("prefixCount", params.int("Ipv4PrefixCount")),
    securityGroupIds: params.list("SecurityGroupId"),
    description: params.get("Description") ?? "",
    tags: params.tagSpecification("network-interface"),
  });
  return `<networkInterface>${eniXml(world, eni)}</networkInterface>`;
};

export const attachNetworkInterface: ActionHandler = ({ world, params }) => {
  const r = attachEni(world, {
    eniId: params.required("NetworkInterfaceId"),
    instanceId: params.required("InstanceId"),
    deviceIndex: params.requiredInt("DeviceIndex"),
    ...optional("networkCardIndex", params.int("NetworkCardIndex")),
  });
  return el("attachmentId", r.attachmentId) + el("networkCardIndex", r.networkCardIndex);
};

export const detachNetworkInterface: ActionHandler = ({ world, params }) => {
  detachEni(world, { attachmentId: params.required("AttachmentId"), force: params.bool("Force") ?? false });
  return ok;
};

export const deleteNetworkInterface: ActionHandler = ({ world, params }) => {
  deleteEni(world, params.required("NetworkInterfaceId"));
  return ok;
};

export const assignPrivateIpAddresses: ActionHandler = async ({ world, params }) => {
  const eniId = params.required("NetworkInterfaceId");
  const explicit = params.list("PrivateIpAddress");
  const r = await assignAddresses(world, eniId, {
    ...optional("ipCount", params.int("SecondaryPrivateIpAddressCount")),
    ...optional("prefixCount", params.int("Ipv4PrefixCount")),
    ...(explicit.length > 0 ? { ips: explicit } : {}),
  });
  return (
    el("networkInterfaceId", eniId) +
    set(
      "assignedPrivateIpAddressesSet",
      r.ips.map((ip) => el("privateIpAddress", ip)),
    ) +
    set(
      "assignedIpv4PrefixSet",
      r.prefixes.map((p) => el("ipv4Prefix", p)),
    ) +
    ok
  );
};

export const unassignPrivateIpAddresses: ActionHandler = async ({ world, params }) => {
  await unassignAddresses(world, params.required("NetworkInterfaceId"), {
    ips: params.list("PrivateIpAddress"),
    prefixes: params.list("Ipv4Prefix"),
  });
  return ok;
};

export const modifyNetworkInterfaceAttribute: ActionHandler = ({ world, params }) => {
  const attachmentId = params.get("Attachment.AttachmentId");
  const dot = params.bool("Attachment.DeleteOnTermination");
  if ((attachmentId === undefined) !== (dot === undefined)) {
    throw fault(
      "MissingParameter",
      "Attachment.AttachmentId and Attachment.DeleteOnTermination must be given together.",
    );
  }
  const change = {
    ...(attachmentId !== undefined && dot !== undefined
      ? { attachment: { attachmentId, deleteOnTermination: dot } }
      : {}),
    ...optional("description", params.get("Description.Value")),
    ...optional("sourceDestCheck", params.bool("SourceDestCheck.Value")),
    ...(params.list("SecurityGroupId").length > 0
      ? { securityGroupIds: params.list("SecurityGroupId") }
      : {}),
  };
  if (Object.keys(change).length === 0) {
    throw fault("MissingParameter", "The request must contain an attribute to modify.");
  }
  modifyEni(world, params.required("NetworkInterfaceId"), change);
  return ok;
};

export const createTags: ActionHandler = ({ world, params }) => {
  const ids = params.list("ResourceId");
  if (ids.length === 0)
    throw fault("MissingParameter", "The request must contain the parameter resourceIdSet");
  const tags = params.tags("Tag");
  // Resolve everything first: a bad id fails the call and tags nothing.
  const targets = ids.map((id) => {
    if (id.startsWith("eni-")) return world.eni(id).tags;
    if (id.startsWith("i-")) return world.instance(id).tags;
    if (id.startsWith("subnet-")) return world.subnet(id).tags;
    if (id.startsWith("vpc-")) return world.vpc(id).tags;
    throw fault("InvalidID", `The ID '${id}' is not valid`);
  });
  for (const t of targets) for (const [k, v] of tags) t.set(k, v);
  return ok;
};

/** `{ key: value }` when defined, `{}` otherwise (exactOptionalPropertyTypes-friendly spreading). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
