// Reads this node's Node object and, with custom networking, resolves the
// ENIConfig that says which subnet and security groups its new ENIs use,
// choosing the ENIConfig exactly as the AWS VPC CNI does
// (pkg/eniconfig GetNodeSpecificENIConfigName):
//   1. the label vpc.amazonaws.com/externalEniConfig (managed out of band),
//   2. else the annotation named by ENI_CONFIG_ANNOTATION_DEF
//      (default k8s.amazonaws.com/eniConfig),
//   3. else the label named by ENI_CONFIG_LABEL_DEF (default
//      k8s.amazonaws.com/eniConfig; topology.kubernetes.io/zone gives one
//      ENIConfig per AZ, named after it),
//   4. else the ENIConfig named "default".
// A key that is present wins even with an empty value, as there (the lookup
// of the ENIConfig "" then fails, naming the key that chose it).

import type { CoreApi, CustomObjectsApi } from "./client.ts";
import {
  EniConfigInvalidError,
  EniConfigNotFoundError,
  httpStatusOf,
  K8sApiError,
  NodeNotFoundError,
} from "./errors.ts";

export const ENICONFIG_GROUP = "crd.k8s.amazonaws.com";
export const ENICONFIG_VERSION = "v1alpha1";
export const ENICONFIG_PLURAL = "eniconfigs";
export const DEFAULT_ENI_CONFIG_ANNOTATION = "k8s.amazonaws.com/eniConfig";
export const DEFAULT_ENI_CONFIG_LABEL = "k8s.amazonaws.com/eniConfig";
/** Set out of band (by kubelet or a provisioner); the source of truth when present. */
export const EXTERNAL_ENI_CONFIG_LABEL = "vpc.amazonaws.com/externalEniConfig";
export const DEFAULT_ENI_CONFIG_NAME = "default";
export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";
const LEGACY_INSTANCE_TYPE_LABEL = "beta.kubernetes.io/instance-type";

export interface NodeInfo {
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** From node.kubernetes.io/instance-type; undefined when the label is missing (ask IMDS instead). */
  instanceType: string | undefined;
  /**
   * status.capacity.pods: kubelet's max pods. The pool stops growing there
   * (as the AWS VPC CNI): more addresses could never be used. Undefined when
   * the Node does not say (yet), or says something that is not a count.
   */
  capacityPods?: number;
}

/** A pod-count quantity as kubelet writes it ("110"); anything else is no answer. */
export function parsePodCapacity(q: string | undefined): number | undefined {
  if (q === undefined || !/^[0-9]{1,6}$/.test(q)) return undefined;
  const n = Number(q);
  return n > 0 ? n : undefined;
}

export interface EniConfigSelection {
  name: string;
  /** Human-readable: which annotation/label chose it, for error messages and logs. */
  selectedBy: string;
}

export interface EniConfigSelectionSettings {
  /** ENI_CONFIG_LABEL_DEF */
  labelDef?: string;
  /** ENI_CONFIG_ANNOTATION_DEF */
  annotationDef?: string;
}

/** What new ENIs on this node use. Empty securityGroupIds = the primary ENI's groups (as the AWS VPC CNI). */
export interface EniConfigSpec {
  name: string;
  subnetId: string;
  securityGroupIds: string[];
}

export async function readNodeInfo(core: CoreApi, nodeName: string): Promise<NodeInfo> {
  let node: Awaited<ReturnType<CoreApi["readNode"]>>;
  try {
    node = await core.readNode({ name: nodeName });
  } catch (err) {
    if (httpStatusOf(err) === 404) throw new NodeNotFoundError(nodeName);
    throw new K8sApiError(`get node ${nodeName}`, err);
  }
  const labels = node.metadata?.labels ?? {};
  return {
    name: nodeName,
    uid: node.metadata?.uid ?? "",
    labels,
    annotations: node.metadata?.annotations ?? {},
    instanceType: labels[INSTANCE_TYPE_LABEL] ?? labels[LEGACY_INSTANCE_TYPE_LABEL],
    ...optional("capacityPods", parsePodCapacity(node.status?.capacity?.["pods"])),
  };
}

const optional = <K extends string, V>(k: K, v: V | undefined) =>
  (v === undefined ? {} : { [k]: v }) as Partial<Record<K, V>>;

/** Pure: which ENIConfig this node asks for. */
export function selectEniConfig(node: NodeInfo, s: EniConfigSelectionSettings = {}): EniConfigSelection {
  const annotation = s.annotationDef || DEFAULT_ENI_CONFIG_ANNOTATION;
  const label = s.labelDef || DEFAULT_ENI_CONFIG_LABEL;
  const has = (m: Record<string, string>, k: string) => Object.hasOwn(m, k);
  if (has(node.labels, EXTERNAL_ENI_CONFIG_LABEL)) {
    return {
      name: node.labels[EXTERNAL_ENI_CONFIG_LABEL]!,
      selectedBy: `label ${EXTERNAL_ENI_CONFIG_LABEL}`,
    };
  }
  if (has(node.annotations, annotation)) {
    return { name: node.annotations[annotation]!, selectedBy: `annotation ${annotation}` };
  }
  if (has(node.labels, label)) return { name: node.labels[label]!, selectedBy: `label ${label}` };
  return {
    name: DEFAULT_ENI_CONFIG_NAME,
    selectedBy: `no ${EXTERNAL_ENI_CONFIG_LABEL} label, ${annotation} annotation or ${label} label: fallback name`,
  };
}

const SUBNET_RE = /^subnet-[0-9a-f]+$/;
const SG_RE = /^sg-[0-9a-f]+$/;

/** Pure: validates an ENIConfig object's spec. */
export function parseEniConfigSpec(name: string, obj: unknown): EniConfigSpec {
  const spec = (obj as { spec?: { subnet?: unknown; securityGroups?: unknown } } | null)?.spec;
  if (typeof spec?.subnet !== "string" || !SUBNET_RE.test(spec.subnet)) {
    throw new EniConfigInvalidError(
      name,
      `spec.subnet must be a subnet id (subnet-...), got ${JSON.stringify(spec?.subnet)}`,
    );
  }
  const sgs = spec.securityGroups ?? [];
  if (!Array.isArray(sgs) || !sgs.every((g): g is string => typeof g === "string" && SG_RE.test(g))) {
    throw new EniConfigInvalidError(
      name,
      `spec.securityGroups must be a list of sg-... ids, got ${JSON.stringify(sgs)}`,
    );
  }
  return { name, subnetId: spec.subnet, securityGroupIds: sgs };
}

export async function resolveEniConfig(
  custom: CustomObjectsApi,
  sel: EniConfigSelection,
): Promise<EniConfigSpec> {
  // An empty name (the key is on the node, with no value) names no object; a GET
  // with it would be a LIST. Not found, as for the AWS VPC CNI.
  if (sel.name === "")
    throw new EniConfigNotFoundError(sel.name, sel.selectedBy, await existingEniConfigs(custom));
  let obj: unknown;
  try {
    obj = await custom.getClusterCustomObject({
      group: ENICONFIG_GROUP,
      version: ENICONFIG_VERSION,
      plural: ENICONFIG_PLURAL,
      name: sel.name,
    });
  } catch (err) {
    if (httpStatusOf(err) !== 404) throw new K8sApiError(`get eniconfig ${sel.name}`, err);
    throw new EniConfigNotFoundError(sel.name, sel.selectedBy, await existingEniConfigs(custom));
  }
  return parseEniConfigSpec(sel.name, obj);
}

// Listing the ENIConfigs that do exist turns "not found" into an actionable message.
async function existingEniConfigs(custom: CustomObjectsApi): Promise<string[]> {
  try {
    const list = (await custom.listClusterCustomObject({
      group: ENICONFIG_GROUP,
      version: ENICONFIG_VERSION,
      plural: ENICONFIG_PLURAL,
    })) as { items?: { metadata?: { name?: string } }[] };
    return (list.items ?? []).map((i) => i.metadata?.name ?? "").filter((n) => n !== "");
  } catch {
    return [];
  }
}
