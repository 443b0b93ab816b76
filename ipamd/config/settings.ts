// ipamd's settings, read once from the environment at start.
//
// The AWS VPC CNI's variable names and semantics are kept, so an existing
// aws-node DaemonSet env works unchanged; our own additions are VPC_CNI_*.
// AWS VPC CNI variables we do not implement are in aws-compat.ts: refused when
// they ask for a missing feature, else accepted (and listed in ignoredAwsSettings).
// Booleans take Go's strconv.ParseBool spellings, as aws-node.
// Every problem is collected (not just the first) so one restart fixes all.
// An empty value means "unset", as in aws-node (Helm renders unset values as "").

import { parseRateFraction } from "../../cloud/ec2/options.ts";
import { DEFAULT_NODE_FRACTION } from "../../cloud/ec2/rate-limit.ts";
import type { PoolSettings } from "../planner/types.ts";
import { AWS_VARIABLES, awsVariablesMarkdownTable } from "./aws-compat.ts";
import {
  isDnsSubdomain,
  type ListenAddress,
  type Parsed,
  parseAbsPath,
  parseBool,
  parseCidrList,
  parseInteger,
  parseLabelKey,
  parseListenAddress,
  parseOneOf,
  parseVethPrefix,
  parseWholeNumber,
} from "./values.ts";

export type { AwsVariable } from "./aws-compat.ts";
export { AWS_VARIABLES } from "./aws-compat.ts";
export type { ListenAddress } from "./values.ts";

/** The AWS VPC CNI's default ENIConfig label and annotation (pkg/eniconfig). */
export const DEFAULT_ENI_CONFIG_LABEL_DEF = "k8s.amazonaws.com/eniConfig";
export const DEFAULT_ENI_CONFIG_ANNOTATION_DEF = "k8s.amazonaws.com/eniConfig";

/** An AWS VPC CNI variable that was set, is accepted, and does not act here as it does there. */
export interface IgnoredAwsSetting {
  name: string;
  value: string;
  /** Why it has no (or a different) effect here. */
  note: string;
}

export const RANDOMIZE_SNAT_MODES = ["none", "hashrandom", "prng"] as const;
/** none: plain SNAT; hashrandom: --random; prng: --random-fully (AWS default). */
export type RandomizeSnat = (typeof RANDOMIZE_SNAT_MODES)[number];

export interface Settings {
  // ---- AWS VPC CNI names ----
  warmEniTarget: number;
  /** undefined when unset or 0 (AWS: 0 means "not set"). */
  warmIpTarget: number | undefined;
  /** undefined when unset or 0 (AWS: 0 means "not set"). */
  minimumIpTarget: number | undefined;
  prefixDelegation: boolean;
  warmPrefixTarget: number;
  /** undefined when unset, 0 or negative (AWS: "unset or 0 (or lower): not used"). */
  maxEni: number | undefined;
  externalSnat: boolean;
  excludeSnatCidrs: readonly string[];
  /** AWS_VPC_ENI_MTU: MTU of the ENIs ipamd sets up. */
  mtu: number;
  /** POD_MTU: MTU of pods' interfaces (veth pair); defaults to AWS_VPC_ENI_MTU. */
  podMtu: number;
  vethPrefix: string;
  disableNetworkResourceProvisioning: boolean;
  /** DISABLE_LEAKED_ENI_CLEANUP as set. Use `leakedEniCleanup` to decide. */
  disableLeakedEniCleanup: boolean;
  /**
   * Derived: run the leaked-ENI cleaner. False when DISABLE_LEAKED_ENI_CLEANUP
   * or DISABLE_NETWORK_RESOURCE_PROVISIONING is true (AWS disableLeakedENICleanup();
   * its other two cases, IPv6 and IMDS-only mode, are refused at start here).
   */
  leakedEniCleanup: boolean;
  /** DISABLE_METRICS: no Prometheus listener at all. */
  disableMetrics: boolean;
  /** DISABLE_INTROSPECTION: no introspection data endpoints (/v1/...). */
  disableIntrospection: boolean;
  customNetworking: boolean;
  eniConfigLabelDef: string;
  eniConfigAnnotationDef: string;
  randomizeSnat: RandomizeSnat;
  clusterName: string | undefined;
  /** AWS VPC CNI variables set here that are accepted without acting as there (ipamd/config/aws-compat.ts), for a start-up log line. */
  ignoredAwsSettings: readonly IgnoredAwsSetting[];
  // ---- ours (some with an AWS VPC CNI alias) ----
  /** VPC_CNI_IP_COOLDOWN_SECONDS, or its AWS VPC CNI name IP_COOLDOWN_PERIOD. */
  ipCooldownMs: number;
  /** VPC_CNI_ADD_WAIT_SECONDS: longest a refused ADD is held while the pool grows (0: never). */
  addWaitMs: number;
  socketPath: string;
  metricsAddress: ListenAddress;
  /** VPC_CNI_INTROSPECTION_ADDRESS, or its AWS VPC CNI name INTROSPECTION_BIND_ADDRESS. */
  introspectionAddress: ListenAddress;
  stateDir: string;
  /** `${stateDir}/ipam-checkpoint.json` */
  checkpointPath: string;
  /** VPC_CNI_EC2_RATE_FRACTION: this node's share of each account EC2 bucket. */
  ec2RateFraction: number;
  reconcileIntervalMs: number;
  minEniAgeMs: number;
  scaleDownIntervalMs: number;
  subnetBackoffMs: number;
  leakedEniDelayMs: number;
  /** NODE_NAME, else MY_NODE_NAME (the AWS VPC CNI's name for it). */
  nodeName: string | undefined;
  /** Kubernetes (only when ipamd has API access): NodeIPAM status writes at most once per this. */
  statusIntervalMs: number;
  /** Kubernetes: at most one allocation-failure Event write per cause per this. */
  eventIntervalMs: number;
  /** Kubernetes: an address whose pod is gone (no CNI DEL came) is released after this. */
  podReleaseGraceMs: number;
  /**
   * VPC_CNI_GROW_FOR_SCHEDULED_PODS (Kubernetes): count pods scheduled on
   * this node that hold no address yet as waiting, so the pool grows while
   * kubelet still prepares them, not only once their ADDs are refused.
   */
  growForScheduledPods: boolean;
}

export interface SettingDoc {
  name: string;
  /** As a user would write it; "" = unset by default. */
  default: string;
  /** The default depends on another setting: `default` describes it rather than being a value. */
  derivedDefault?: true;
  meaning: string;
}

/** Machine-readable list for the README table (a test checks the two agree with the parser). */
export const SETTINGS_DOC: readonly SettingDoc[] = Object.freeze([
  {
    name: "WARM_ENI_TARGET",
    default: "1",
    meaning:
      "Whole ENIs' worth of free addresses to keep beyond those assigned. Ignored when WARM_IP_TARGET or MINIMUM_IP_TARGET is set, and with prefix delegation.",
  },
  {
    name: "WARM_IP_TARGET",
    default: "",
    meaning:
      "Free addresses to keep. 0 or empty = unset. With prefix delegation, rounded up to whole /28 prefixes.",
  },
  {
    name: "MINIMUM_IP_TARGET",
    default: "",
    meaning: "Addresses the node holds at least (assigned + free). 0 or empty = unset.",
  },
  {
    name: "ENABLE_PREFIX_DELEGATION",
    default: "false",
    meaning:
      "Assign /28 prefixes (16 pod addresses per ENI slot) instead of single secondary IPs. Nitro instances only.",
  },
  {
    name: "WARM_PREFIX_TARGET",
    default: "1 with prefix delegation, else 0",
    derivedDefault: true,
    meaning:
      "Whole free /28 prefixes to keep (prefix delegation only; overridden by WARM_IP_TARGET / MINIMUM_IP_TARGET).",
  },
  {
    name: "MAX_ENI",
    default: "",
    meaning:
      "Cap on ENIs per node, below the instance type's limit. Empty, 0 or negative = the instance limit (as the AWS VPC CNI).",
  },
  {
    name: "AWS_VPC_K8S_CNI_EXTERNALSNAT",
    default: "false",
    meaning: "true: no SNAT on the node for traffic leaving the VPC (a NAT gateway does it).",
  },
  {
    name: "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
    default: "",
    meaning: "Comma-separated IPv4 CIDRs outside the VPC that pod traffic reaches without SNAT.",
  },
  {
    name: "AWS_VPC_ENI_MTU",
    default: "9001",
    meaning: "MTU of the ENIs, 576 to 9001; also of pod interfaces unless POD_MTU is set.",
  },
  {
    name: "POD_MTU",
    default: "AWS_VPC_ENI_MTU",
    derivedDefault: true,
    meaning: "MTU of pod interfaces (both ends of the veth pair), 576 to 9001.",
  },
  {
    name: "AWS_VPC_K8S_CNI_VETHPREFIX",
    default: "eni",
    meaning: "Prefix of host-side veth names: 1-4 characters, not eth, lo or vlan.",
  },
  {
    name: "DISABLE_NETWORK_RESOURCE_PROVISIONING",
    default: "false",
    meaning:
      "true: never create, attach or assign in EC2; use only what the node already has. Also turns leaked-ENI cleanup off (as the AWS VPC CNI).",
  },
  {
    name: "DISABLE_LEAKED_ENI_CLEANUP",
    default: "false",
    meaning:
      "true: never delete unattached ENIs tagged for this cluster (see VPC_CNI_LEAKED_ENI_DELAY_SECONDS); leave that to one node or to an operator.",
  },
  {
    name: "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    default: "false",
    meaning: "true: pods get addresses from ENIs in the ENIConfig's subnet, never from the primary ENI.",
  },
  {
    name: "ENI_CONFIG_LABEL_DEF",
    default: "k8s.amazonaws.com/eniConfig",
    meaning:
      "Node label whose value names the ENIConfig (custom networking), used when neither the vpc.amazonaws.com/externalEniConfig label nor the ENI_CONFIG_ANNOTATION_DEF annotation is on the node; without any, the ENIConfig named default. One ENIConfig per AZ: set it to topology.kubernetes.io/zone.",
  },
  {
    name: "ENI_CONFIG_ANNOTATION_DEF",
    default: "k8s.amazonaws.com/eniConfig",
    meaning:
      "Node annotation naming the ENIConfig (custom networking); wins over the ENI_CONFIG_LABEL_DEF label, loses to the vpc.amazonaws.com/externalEniConfig label.",
  },
  {
    name: "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
    default: "prng",
    meaning: "SNAT port selection: none, hashrandom (--random) or prng (--random-fully).",
  },
  {
    name: "CLUSTER_NAME",
    default: "",
    meaning: "Cluster name, tagged on ENIs ipamd creates (cluster.k8s.amazonaws.com/name).",
  },
  { name: "NODE_NAME", default: "", meaning: "This node's Kubernetes name (Downward API spec.nodeName)." },
  {
    name: "MY_NODE_NAME",
    default: "",
    meaning: "The AWS VPC CNI's name for NODE_NAME (its DaemonSet sets it); used when NODE_NAME is unset.",
  },
  {
    name: "IP_COOLDOWN_PERIOD",
    default: "30",
    meaning:
      "The AWS VPC CNI's name for VPC_CNI_IP_COOLDOWN_SECONDS (seconds, 0 to 3600). Both may be set only to the same value.",
  },
  {
    name: "INTROSPECTION_BIND_ADDRESS",
    default: "127.0.0.1:61679",
    meaning:
      "The AWS VPC CNI's name for VPC_CNI_INTROSPECTION_ADDRESS. Both may be set only to the same address. A unix: socket is not supported.",
  },
  {
    name: "DISABLE_INTROSPECTION",
    default: "false",
    meaning:
      "true: the introspection data endpoints (/v1/...) are off; /healthz stays, for the DaemonSet's probes.",
  },
  {
    name: "DISABLE_METRICS",
    default: "false",
    meaning: "true: no Prometheus metrics listener.",
  },
  {
    name: "VPC_CNI_IP_COOLDOWN_SECONDS",
    default: "30",
    meaning:
      "A released address is not handed out again for this long (counts as unavailable, so the pool grows meanwhile). AWS VPC CNI name: IP_COOLDOWN_PERIOD.",
  },
  {
    name: "VPC_CNI_ADD_WAIT_SECONDS",
    default: "30",
    meaning:
      "When no address is free but the pool is growing (an ENI attaching, an assign in flight), an ADD is held until EC2 delivers, up to this long and never past the plugin's own timeout (ipamdTimeoutMs), instead of failing at once with \"try again\" and waiting out the runtime's retry back-off. An ADD the pool cannot serve (instance or subnet full) still fails at once, with the reason. 0: never hold (the AWS VPC CNI's behaviour).",
  },
  {
    name: "VPC_CNI_SOCKET_PATH",
    default: "/run/vpc-cni/ipamd.sock",
    meaning: "Unix socket the CNI plugin talks to.",
  },
  {
    name: "VPC_CNI_METRICS_ADDRESS",
    default: "0.0.0.0:61678",
    meaning: "Prometheus metrics listen address (host:port).",
  },
  {
    name: "VPC_CNI_INTROSPECTION_ADDRESS",
    default: "127.0.0.1:61679",
    meaning:
      "Introspection listen address (and /healthz, which the DaemonSet probes); must be loopback. AWS VPC CNI name: INTROSPECTION_BIND_ADDRESS.",
  },
  {
    name: "VPC_CNI_STATE_DIR",
    default: "/var/lib/vpc-cni",
    meaning:
      "Directory of the assignment checkpoint (ipam-checkpoint.json and its second slot ipam-checkpoint.json.b).",
  },
  {
    name: "VPC_CNI_EC2_RATE_FRACTION",
    default: "0.2",
    meaning:
      "Share (0-1] of each account-wide EC2 throttling bucket this node's client may use, burst and refill (0.2: 20 ENI mutations at once, then 1/s). Lower it when many nodes scale at once; throttled calls back off with full jitter either way.",
  },
  {
    name: "VPC_CNI_RECONCILE_INTERVAL_SECONDS",
    default: "60",
    meaning: "How often ipamd compares its ENIs and addresses with IMDS and EC2.",
  },
  {
    name: "VPC_CNI_MIN_ENI_AGE_SECONDS",
    default: "60",
    meaning: "An ENI younger than this is never freed (damps scale-down after scale-up).",
  },
  {
    name: "VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS",
    default: "30",
    meaning: "At most one scale-down action (release or delete) per this interval.",
  },
  {
    name: "VPC_CNI_SUBNET_BACKOFF_SECONDS",
    default: "60",
    meaning: "After EC2 says a subnet is full, don't ask it for more addresses for this long.",
  },
  {
    name: "VPC_CNI_LEAKED_ENI_DELAY_SECONDS",
    default: "600",
    meaning:
      "An unattached ENI a CNI created, tagged for this cluster, is deleted once older than this (unless DISABLE_LEAKED_ENI_CLEANUP or DISABLE_NETWORK_RESOURCE_PROVISIONING).",
  },
  {
    name: "VPC_CNI_STATUS_INTERVAL_SECONDS",
    default: "10",
    meaning: "Kubernetes only: at most one NodeIPAM status write per this interval (only when it changed).",
  },
  {
    name: "VPC_CNI_EVENT_INTERVAL_SECONDS",
    default: "300",
    meaning:
      "Kubernetes only: at most one allocation-failure Event write per cause per this interval (a series count, not one per pod).",
  },
  {
    name: "VPC_CNI_POD_RELEASE_GRACE_SECONDS",
    default: "60",
    meaning:
      "Kubernetes only: the address of a pod deleted without a CNI DEL is released once the pod has been gone (and the address held) this long.",
  },
  {
    name: "VPC_CNI_GROW_FOR_SCHEDULED_PODS",
    default: "true",
    meaning:
      "Kubernetes only: pods scheduled on the node that hold no address yet (not hostNetwork, not finished) count as waiting pods, so the pool grows for a burst as soon as the pods are scheduled instead of when their ADDs find it empty.",
  },
] as SettingDoc[]);

export interface SettingsProblem {
  name: string;
  value: string;
  accepts: string;
}

/** All problems found in the environment; the message lists every one. */
export class SettingsError extends Error {
  readonly problems: readonly SettingsProblem[];
  constructor(problems: SettingsProblem[]) {
    super(
      `invalid ipamd settings (${problems.length}):\n` +
        problems.map((p) => `  ${p.name}=${JSON.stringify(p.value)}: expected ${p.accepts}`).join("\n"),
    );
    this.name = "SettingsError";
    this.problems = Object.freeze(problems.slice());
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const DAY_S = 86_400;

export function loadSettings(
  env: Env,
): { ok: true; settings: Readonly<Settings> } | { ok: false; error: SettingsError } {
  const problems: SettingsProblem[] = [];
  const raw = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v;
  };
  function read<T>(name: string, fallback: T, parse: (v: string) => Parsed<T>): T {
    const v = raw(name);
    if (v === undefined) return fallback;
    const p = parse(v);
    if (p.ok) return p.value;
    problems.push({ name, value: v, accepts: p.accepts });
    return fallback;
  }
  const int = (min: number, max: number) => (v: string) => parseWholeNumber(v, min, max);
  const seconds = (name: string, def: number, min = 0, max = DAY_S) => read(name, def, int(min, max)) * 1000;
  const zeroIsUnset = (n: number | undefined) => (n === 0 ? undefined : n);

  /**
   * One setting under two names (ours and the AWS VPC CNI's): either may be
   * set; both only to the same value, else the problem names both.
   */
  function aliased<T>(
    ours: string,
    aws: string,
    fallback: T,
    parse: (v: string) => Parsed<T>,
    same: (a: T, b: T) => boolean,
  ): T {
    const a = read<T | undefined>(ours, undefined, parse);
    const b = read<T | undefined>(aws, undefined, parse);
    if (a !== undefined && b !== undefined && !same(a, b)) {
      problems.push({
        name: ours,
        value: raw(ours) ?? "",
        accepts: `the same value as ${aws}=${JSON.stringify(raw(aws))} (its AWS VPC CNI name), or only one of the two set`,
      });
    }
    return a ?? b ?? fallback;
  }
  const mtuRange = int(576, 9001);
  const loopback = (v: string): Parsed<ListenAddress> =>
    v.trim().startsWith("unix:")
      ? {
          ok: false,
          accepts: "a loopback host:port such as 127.0.0.1:61679 (a unix: socket is not supported)",
        }
      : parseListenAddress(v, true);

  const prefixDelegation = read("ENABLE_PREFIX_DELEGATION", false, parseBool);
  const mtu = read("AWS_VPC_ENI_MTU", 9001, mtuRange);
  const disableNetworkResourceProvisioning = read("DISABLE_NETWORK_RESOURCE_PROVISIONING", false, parseBool);
  const disableLeakedEniCleanup = read("DISABLE_LEAKED_ENI_CLEANUP", false, parseBool);
  const stateDir = read("VPC_CNI_STATE_DIR", "/var/lib/vpc-cni", parseAbsPath);
  const nodeNameOf = (v: string): Parsed<string | undefined> =>
    isDnsSubdomain(v.trim())
      ? { ok: true, value: v.trim() }
      : { ok: false, accepts: "a Kubernetes node name (DNS subdomain)" };
  // Both are always read (so a bad alias is reported too); NODE_NAME wins.
  const myNodeName = read<string | undefined>("MY_NODE_NAME", undefined, nodeNameOf);
  const nodeName = read<string | undefined>("NODE_NAME", undefined, nodeNameOf) ?? myNodeName;
  const settings: Settings = {
    warmEniTarget: read("WARM_ENI_TARGET", 1, int(0, 1000)),
    warmIpTarget: zeroIsUnset(read<number | undefined>("WARM_IP_TARGET", undefined, int(0, 100_000))),
    minimumIpTarget: zeroIsUnset(read<number | undefined>("MINIMUM_IP_TARGET", undefined, int(0, 100_000))),
    prefixDelegation,
    warmPrefixTarget: read("WARM_PREFIX_TARGET", prefixDelegation ? 1 : 0, int(0, 10_000)),
    maxEni: read<number | undefined>("MAX_ENI", undefined, (v) => {
      const n = parseInteger(v);
      if (!n.ok || n.value > 1000)
        return { ok: false, accepts: "a whole number up to 1000 (0 or less: no cap)" };
      return { ok: true, value: n.value <= 0 ? undefined : n.value };
    }),
    externalSnat: read("AWS_VPC_K8S_CNI_EXTERNALSNAT", false, parseBool),
    excludeSnatCidrs: read(
      "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
      Object.freeze([]) as readonly string[],
      parseCidrList,
    ),
    mtu,
    podMtu: read("POD_MTU", mtu, mtuRange),
    vethPrefix: read("AWS_VPC_K8S_CNI_VETHPREFIX", "eni", parseVethPrefix),
    disableNetworkResourceProvisioning,
    disableLeakedEniCleanup,
    leakedEniCleanup: !disableLeakedEniCleanup && !disableNetworkResourceProvisioning,
    disableMetrics: read("DISABLE_METRICS", false, parseBool),
    disableIntrospection: read("DISABLE_INTROSPECTION", false, parseBool),
    customNetworking: read("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", false, parseBool),
    eniConfigLabelDef: read("ENI_CONFIG_LABEL_DEF", DEFAULT_ENI_CONFIG_LABEL_DEF, parseLabelKey),
    eniConfigAnnotationDef: read(
      "ENI_CONFIG_ANNOTATION_DEF",
      DEFAULT_ENI_CONFIG_ANNOTATION_DEF,
      parseLabelKey,
    ),
    randomizeSnat: read<RandomizeSnat>("AWS_VPC_K8S_CNI_RANDOMIZESNAT", "prng", (v) =>
      parseOneOf(v, RANDOMIZE_SNAT_MODES),
    ),
    clusterName: raw("CLUSTER_NAME")?.trim(),
    ignoredAwsSettings: Object.freeze(
      AWS_VARIABLES.flatMap((a): IgnoredAwsSetting[] => {
        const v = raw(a.name);
        if (v === undefined) return [];
        const c = a.check(v);
        if (!c.ok) {
          problems.push({ name: a.name, value: v, accepts: c.accepts });
          return [];
        }
        return c.value.note === undefined ? [] : [{ name: a.name, value: v, note: c.value.note }];
      }),
    ),
    ipCooldownMs:
      aliased("VPC_CNI_IP_COOLDOWN_SECONDS", "IP_COOLDOWN_PERIOD", 30, int(0, 3600), (a, b) => a === b) *
      1000,
    addWaitMs: seconds("VPC_CNI_ADD_WAIT_SECONDS", 30, 0, 600),
    socketPath: read("VPC_CNI_SOCKET_PATH", "/run/vpc-cni/ipamd.sock", parseAbsPath),
    metricsAddress: read("VPC_CNI_METRICS_ADDRESS", { host: "0.0.0.0", port: 61678 }, (v) =>
      parseListenAddress(v, false),
    ),
    introspectionAddress: aliased(
      "VPC_CNI_INTROSPECTION_ADDRESS",
      "INTROSPECTION_BIND_ADDRESS",
      { host: "127.0.0.1", port: 61679 },
      loopback,
      (a, b) => a.host === b.host && a.port === b.port,
    ),
    stateDir,
    checkpointPath: `${stateDir === "/" ? "" : stateDir}/ipam-checkpoint.json`,
    // Read by the EC2 client itself (cloud/ec2/options.ts); validated here so a typo is refused at start.
    ec2RateFraction: read("VPC_CNI_EC2_RATE_FRACTION", DEFAULT_NODE_FRACTION, (v) => {
      const f = parseRateFraction(v);
      return f === undefined
        ? { ok: false, accepts: "a decimal greater than 0 and at most 1" }
        : { ok: true, value: f };
    }),
    reconcileIntervalMs: seconds("VPC_CNI_RECONCILE_INTERVAL_SECONDS", 60, 5),
    minEniAgeMs: seconds("VPC_CNI_MIN_ENI_AGE_SECONDS", 60),
    scaleDownIntervalMs: seconds("VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS", 30),
    subnetBackoffMs: seconds("VPC_CNI_SUBNET_BACKOFF_SECONDS", 60),
    leakedEniDelayMs: seconds("VPC_CNI_LEAKED_ENI_DELAY_SECONDS", 600, 60),
    nodeName,
    statusIntervalMs: seconds("VPC_CNI_STATUS_INTERVAL_SECONDS", 10, 1, 3600),
    eventIntervalMs: seconds("VPC_CNI_EVENT_INTERVAL_SECONDS", 300, 1),
    podReleaseGraceMs: seconds("VPC_CNI_POD_RELEASE_GRACE_SECONDS", 60, 1),
    growForScheduledPods: read("VPC_CNI_GROW_FOR_SCHEDULED_PODS", true, parseBool),
  };
  if (problems.length > 0) return { ok: false, error: new SettingsError(problems) };
  return { ok: true, settings: Object.freeze(settings) };
}

/** Throwing form for main(): a SettingsError names every bad variable. */
export function parseSettings(env: Env): Readonly<Settings> {
  const r = loadSettings(env);
  if (!r.ok) throw r.error;
  return r.settings;
}

/** The planner's slice of the settings. */
export function toPoolSettings(s: Settings): PoolSettings {
  return {
    warmEniTarget: s.warmEniTarget,
    warmIpTarget: s.warmIpTarget,
    minimumIpTarget: s.minimumIpTarget,
    prefixDelegation: s.prefixDelegation,
    warmPrefixTarget: s.warmPrefixTarget,
    maxEni: s.maxEni,
    minEniAgeMs: s.minEniAgeMs,
    scaleDownIntervalMs: s.scaleDownIntervalMs,
    subnetBackoffMs: s.subnetBackoffMs,
  };
}

/** The table of the settings ipamd implements, generated from SETTINGS_DOC (so docs and parser cannot drift). */
export function implementedSettingsTable(): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const rows = SETTINGS_DOC.map(
    (d) => `| \`${d.name}\` | ${d.default === "" ? "unset" : `\`${esc(d.default)}\``} | ${esc(d.meaning)} |`,
  );
  return ["| Variable | Default | Meaning |", "|---|---|---|", ...rows].join("\n");
}

/**
 * The README's whole generated settings block (scripts/readme-settings.ts puts
 * it between the markers): the settings implemented, then the AWS VPC CNI
 * variables that are not (ipamd/config/aws-compat.ts).
 */
export function settingsMarkdownTable(): string {
  return [
    implementedSettingsTable(),
    "",
    "AWS VPC CNI variables not implemented here: what happens when an aws-node env sets them.",
    "",
    awsVariablesMarkdownTable(),
  ].join("\n");
}
