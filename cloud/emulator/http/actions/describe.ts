// Describe* actions: ids, filters, pagination.

import type { InstanceTypeInfo } from "../../../ec2/types.ts";
import { fault } from "../../rules/fault.ts";
import { type FilterFields, matchesFilters, validateFilters } from "../../rules/filters.ts";
import { formatCidr, formatIpv4 } from "../../rules/ipv4.ts";
import { paginate } from "../../rules/paginate.ts";
import { type EniRec, eniStatus, type InstanceRec, type SubnetRec, type VpcRec } from "../../state/model.ts";
import type { QueryParams } from "../query.ts";
import { eniXml, instanceTypeXml, instanceXml, subnetXml, vpcXml } from "../render.ts";
import { el, set } from "../xml.ts";
import type { ActionContext, ActionHandler } from "./types.ts";

const ENI_FIELDS: FilterFields<EniRec> = {
  "network-interface-id": (e) => [e.id],
  "attachment.instance-id": (e) => [e.attachment?.instanceId],
  "attachment.attachment-id": (e) => [e.attachment?.id],
  "attachment.status": (e) => [e.attachment?.status],
  "attachment.device-index": (e) => [e.attachment ? String(e.attachment.deviceIndex) : undefined],
  "attachment.delete-on-termination": (e) => [
    e.attachment ? String(e.attachment.deleteOnTermination) : undefined,
  ],
  status: (e) => [eniStatus(e)],
  "subnet-id": (e) => [e.subnetId],
  "vpc-id": (e) => [e.vpcId],
  "availability-zone": (e) => [e.availabilityZone],
  description: (e) => [e.description],
  "mac-address": (e) => [e.mac],
  "private-ip-address": (e) => [e.primaryIp, ...e.secondaryIps].map(formatIpv4),
  "addresses.private-ip-address": (e) => [e.primaryIp, ...e.secondaryIps].map(formatIpv4),
  "group-id": (e) => e.securityGroupIds,
  "interface-type": () => ["interface"],
  "requester-managed": () => ["false"],
};

const INSTANCE_FIELDS: FilterFields<InstanceRec> = {
  "instance-id": (i) => [i.id],
  "instance-state-name": (i) => [i.state],
  "instance-type": (i) => [i.type.instanceType],
  "subnet-id": (i) => [i.subnetId],
  "vpc-id": (i) => [i.vpcId],
  "availability-zone": (i) => [i.availabilityZone],
  "private-ip-address": (i) => [formatIpv4(i.primaryIp)],
};

const SUBNET_FIELDS: FilterFields<SubnetRec> = {
  "subnet-id": (s) => [s.id],
  "vpc-id": (s) => [s.vpcId],
  "availability-zone": (s) => [s.availabilityZone],
  "cidr-block": (s) => [formatCidr(s.cidr)],
  state: () => ["available"],
};

const VPC_FIELDS: FilterFields<VpcRec> = {
  "vpc-id": (v) => [v.id],
  "cidr-block": (v) => [formatCidr(v.cidr)],
  state: () => ["available"],
  "is-default": () => ["false"],
};

const TYPE_FIELDS: FilterFields<InstanceTypeInfo> = {
  "instance-type": (t) => [t.instanceType],
  hypervisor: (t) => [t.hypervisor],
  "bare-metal": (t) => [String(t.bareMetal)],
};

/** Everything that defines the query, so a NextToken only works with the query that produced it. */
function fingerprint(action: string, params: QueryParams): string {
  return `${action}?${params
    .keys()
    .filter((k) => k !== "NextToken" && k !== "MaxResults" && k !== "Action" && k !== "Version")
    .sort()
    .map((k) => `${k}=${params.get(k)}`)
    .join("&")}`;
}

function select<T>(
  ctx: ActionContext,
  action: string,
  opts: {
    ids: string[];
    byId: (id: string) => T;
    all: () => Iterable<T>;
    fields: FilterFields<T>;
    tags: (r: T) => ReadonlyMap<string, string>;
    maxResults: { min: number; max: number };
  },
): { items: T[]; nextToken: string | undefined } {
  const filters = ctx.params.filters();
  validateFilters(filters, opts.fields);
  // Named ids must all exist (AWS fails the whole call), then filters narrow them.
  const base = opts.ids.length > 0 ? [...new Set(opts.ids)].map(opts.byId) : [...opts.all()];
  const matched = base.filter((r) => matchesFilters(r, opts.tags(r), filters, opts.fields));
  return paginate(matched, {
    maxResults: ctx.params.int("MaxResults"),
    nextToken: ctx.params.get("NextToken"),
    fingerprint: fingerprint(action, ctx.params),
    ...opts.maxResults,
  });
}

const next = (token: string | undefined): string => el("nextToken", token);

export const describeNetworkInterfaces: ActionHandler = (ctx) => {
  const { world } = ctx;
  const page = select(ctx, "DescribeNetworkInterfaces", {
    ids: ctx.params.list("NetworkInterfaceId"),
    byId: (id) => world.eni(id),
    all: () => world.enis.values(),
    fields: ENI_FIELDS,
    tags: (e) => e.tags,
    maxResults: { min: 5, max: 1000 },
  });
  return (
    set(
      "networkInterfaceSet",
      page.items.map((e) => eniXml(world, e)),
    ) + next(page.nextToken)
  );
};

export const describeInstances: ActionHandler = (ctx) => {
  const { world, params } = ctx;
  const ids = params.list("InstanceId");
  if (ids.length > 0 && params.has("MaxResults")) {
    throw fault(
      "InvalidParameterCombination",
      "The parameter instancesSet cannot be used with the parameter maxResults",
    );
  }
  const page = select(ctx, "DescribeInstances", {
    ids,
    byId: (id) => world.instance(id),
    all: () => world.instances.values(),
    fields: INSTANCE_FIELDS,
    tags: (i) => i.tags,
    maxResults: { min: 5, max: 1000 },
  });
  const reservations = new Map<string, InstanceRec[]>();
  for (const i of page.items)
    reservations.set(i.reservationId, [...(reservations.get(i.reservationId) ?? []), i]);
  const items = [...reservations].map(
    ([rid, insts]) =>
      el("reservationId", rid) +
      el("ownerId", world.config.accountId) +
      set("groupSet", []) +
      set(
        "instancesSet",
        insts.map((i) => instanceXml(world, i)),
      ),
  );
  return set("reservationSet", items) + next(page.nextToken);
};

export const describeSubnets: ActionHandler = (ctx) => {
  const { world } = ctx;
  const page = select(ctx, "DescribeSubnets", {
    ids: ctx.params.list("SubnetId"),
    byId: (id) => world.subnet(id),
    all: () => world.subnets.values(),
    fields: SUBNET_FIELDS,
    tags: (s) => s.tags,
    maxResults: { min: 5, max: 1000 },
  });
  return set("subnetSet", page.items.map(subnetXml)) + next(page.nextToken);
};

export const describeVpcs: ActionHandler = (ctx) => {
  const { world } = ctx;
  const page = select(ctx, "DescribeVpcs", {
    ids: ctx.params.list("VpcId"),
    byId: (id) => world.vpc(id),
    all: () => world.vpcs.values(),
    fields: VPC_FIELDS,
    tags: (v) => v.tags,
    maxResults: { min: 5, max: 1000 },
  });
  return set("vpcSet", page.items.map(vpcXml)) + next(page.nextToken);
};

const NO_TAGS: ReadonlyMap<string, string> = new Map();

export const describeInstanceTypes: ActionHandler = (ctx) => {
  const types = ctx.world.config.instanceTypes;
  const page = select(ctx, "DescribeInstanceTypes", {
    ids: ctx.params.list("InstanceType"),
    byId: (name) => {
      const t = types[name];
      if (!t)
        throw fault("InvalidInstanceType", `The following supplied instance types do not exist: [${name}]`);
      return t;
    },
    all: () => Object.values(types),
    fields: TYPE_FIELDS,
    tags: () => NO_TAGS,
    maxResults: { min: 5, max: 100 },
  });
  return set("instanceTypeSet", page.items.map(instanceTypeXml)) + next(page.nextToken);
};
