// The NodeIPAM custom resource: one per node, cluster-scoped, named after the
// node, written only by that node's ipamd (status subresource) and read by
// humans (`kubectl get nodeipams`, `kubectl vpccni`). The group is our own,
// neutral "vpccni.io", so it never collides with the AWS VPC CNI's
// crd.k8s.amazonaws.com objects on a cluster that runs both.
// deploy/crds/nodeipam.yaml must agree with this file (the tests check that
// every printer column resolves against a status this code wrote).

export const NODEIPAM_GROUP = "vpccni.io";
export const NODEIPAM_VERSION = "v1alpha1";
export const NODEIPAM_PLURAL = "nodeipams";
export const NODEIPAM_KIND = "NodeIPAM";

/** Why a node cannot get more pod addresses. */
export type ExhaustionCause = "InstanceLimit" | "SubnetFull" | "Throttled";

/** What ipamd's main fills from its datastore/planner on every change; cheap to call often. */
export interface NodeIpamStatusInput {
  instanceType: string;
  enis: { attached: number; max: number };
  addresses: {
    /** Secondary addresses held (pod-assignable), including those in prefixes. */
    total: number;
    assigned: number;
    /** Free now (excludes cooldown). */
    available: number;
    cooldown: number;
    /** Most addresses this instance can ever hold for pods (ENIs x slots, or prefixes x 16). */
    max: number;
  };
  /** /28 prefixes held (0 without prefix delegation). */
  prefixes: { attached: number; delegation: boolean };
  maxPods: number;
  /** Subnets the node's ENIs are in. */
  subnets: { id: string; nodeAddresses: number; freeInSubnet: number | undefined }[];
  /** The last failed attempt to get addresses from EC2, if any. */
  lastAllocationError?: { cause: ExhaustionCause; message: string; atMs: number };
  /** Set when the node cannot get more addresses and has none free. */
  exhausted?: { cause: ExhaustionCause; message: string };
  /** ipamd can serve ADDs (synced, warm pool reachable). */
  ready: boolean;
}

export interface NodeIpamCondition {
  type: "Ready" | "IPAMExhausted";
  status: "True" | "False";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** The .status of a NodeIPAM, as written. Optional fields are written as null when absent (merge patch). */
export interface NodeIpamStatus {
  instanceType: string;
  enis: { attached: number; max: number };
  addresses: { total: number; assigned: number; available: number; cooldown: number; max: number };
  prefixes: { attached: number; delegation: boolean };
  maxPods: number;
  /** Pods that still fit: min(maxPods, address ceiling) - assigned; only `available` when the subnet is full. */
  podHeadroom: number;
  subnets: { id: string; nodeAddresses: number; freeInSubnet: number | null }[];
  /** "None" or an ExhaustionCause; a plain string so the printer column always resolves. */
  exhausted: "None" | ExhaustionCause;
  lastAllocationError: { cause: ExhaustionCause; message: string; time: string } | null;
  conditions: NodeIpamCondition[];
  updatedAt: string;
}

export interface NodeIpamObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; creationTimestamp?: string; resourceVersion?: string };
  status?: NodeIpamStatus;
}
