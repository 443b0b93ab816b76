// Tag keys and the description ipamd puts on the ENIs it creates. The first
// three are the AWS VPC CNI's own keys (eniNodeTagKey, eniClusterTagKey,
// eniCreatedAtTagKey in its awsutils), so IAM policies conditioned on them,
// cost reports, and operators' leak-hunting scripts keep working, and ENIs
// leaked by either CNI are recognised the same way.
// The node name has no AWS VPC CNI key; ours uses the project's API group (vpccni.io, as NodeIPAM).

/** The instance that created the ENI. */
export const TAG_INSTANCE_ID = "node.k8s.amazonaws.com/instance_id";
/** The cluster (CLUSTER_NAME); the leak cleaner only ever deletes ENIs carrying this cluster's value. */
export const TAG_CLUSTER_NAME = "cluster.k8s.amazonaws.com/name";
/** RFC 3339 creation time (second precision, "Z"), as the AWS VPC CNI writes it. */
export const TAG_CREATED_AT = "node.k8s.amazonaws.com/createdAt";
/** The Kubernetes node name (NODE_NAME or MY_NODE_NAME). */
export const TAG_NODE_NAME = "vpccni.io/node-name";

/** Same description prefix as the AWS VPC CNI ("aws-K8S-<instance id>"). */
export const ENI_DESCRIPTION_PREFIX = "aws-K8S-";

export interface EniTagContext {
  clusterName: string;
  nodeName: string;
  instanceId: string;
}

/** RFC 3339 without milliseconds: Go's time.RFC3339 parser (AWS VPC CNI) reads it. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Tags for a new ENI. Empty cluster/node names are left out rather than written as "". */
export function eniTags(ctx: EniTagContext, nowMs: number): Record<string, string> {
  const tags: Record<string, string> = {
    [TAG_INSTANCE_ID]: ctx.instanceId,
    [TAG_CREATED_AT]: rfc3339(nowMs),
  };
  if (ctx.clusterName !== "") tags[TAG_CLUSTER_NAME] = ctx.clusterName;
  if (ctx.nodeName !== "") tags[TAG_NODE_NAME] = ctx.nodeName;
  return tags;
}

export function eniDescription(instanceId: string): string {
  return `${ENI_DESCRIPTION_PREFIX}${instanceId}`;
}
