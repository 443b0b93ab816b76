// AWS VPC CNI (aws-node) variables this CNI does not implement, in one table
// (the README's second settings table is generated from it).
//
// An aws-node env must work unchanged, so every variable of the AWS VPC CNI's
// README is either implemented (settings.ts, SETTINGS_DOC) or listed here with
// what happens to it:
//   unsupported  a value that asks for the feature is refused at start, with
//                an error naming the variable; the value meaning "off" (the
//                AWS default) is accepted;
//   ignored      accepted and without effect (log destinations, or knobs that
//                only matter with a feature refused above);
//   differs      accepted whatever its value, the AWS default included (so
//                stock aws-node manifests start), but the behaviour is fixed
//                as described: a known difference, logged at start.
// A value that is no value at all (not a boolean where one is expected) is
// refused in every case.

import { type Parsed, parseBool } from "./values.ts";

export type AwsVariableKind = "unsupported" | "ignored" | "differs";

/** A set value that is accepted: `note` says how we differ from the AWS VPC CNI with it (undefined: we do not). */
export type AwsCheck = Parsed<{ note: string | undefined }>;

export interface AwsVariable {
  name: string;
  /** The AWS VPC CNI's default as its manifests set it; "" = unset. */
  awsDefault: string;
  kind: AwsVariableKind;
  /** README: what this CNI does with the variable. */
  here: string;
  /** Checks a set (non-blank) value. */
  check(raw: string): AwsCheck;
}

const same: AwsCheck = { ok: true, value: { note: undefined } };
const differs = (note: string): AwsCheck => ({ ok: true, value: { note } });
const refuse = (accepts: string): AwsCheck => ({ ok: false, accepts });
const spelled = (b: boolean) => (b ? "true" : "false");

/** Boolean feature switch: `on` asks for what we do not implement. */
function unsupportedWhen(on: boolean, feature: string, hint?: string) {
  return (raw: string): AwsCheck => {
    const b = parseBool(raw);
    if (!b.ok) return refuse(b.accepts);
    if (b.value !== on) return same;
    return refuse(`${spelled(!on)} (not supported here: ${feature}${hint === undefined ? "" : `; ${hint}`})`);
  };
}

/** Any boolean accepted; none has an effect here. */
function ignoredBool(note: string) {
  return (raw: string): AwsCheck => {
    const b = parseBool(raw);
    return b.ok ? differs(note) : refuse(b.accepts);
  };
}

/** Any boolean accepted; `exact` is the value whose AWS behaviour we have, the other one differs. */
function boolDiffers(exact: boolean, note: string) {
  return (raw: string): AwsCheck => {
    const b = parseBool(raw);
    if (!b.ok) return refuse(b.accepts);
    return b.value === exact ? same : differs(note);
  };
}

/** Anything accepted, no effect (free-form values such as log file paths). */
const ignoredAny =
  (note: string) =>
  (_raw: string): AwsCheck =>
    differs(note);

/** Any non-blank value asks for the feature. */
const unsupportedIfSet =
  (feature: string, instead?: string) =>
  (_raw: string): AwsCheck =>
    refuse(
      `it unset or empty (not supported here: ${feature}${instead === undefined ? "" : `; ${instead}`})`,
    );

function oneOf(accepted: readonly string[], refused: Readonly<Record<string, string>>, note?: string) {
  return (raw: string): AwsCheck => {
    const v = raw.trim();
    if (accepted.includes(v)) return note === undefined ? same : differs(note);
    const why = refused[v];
    if (why !== undefined) return refuse(`one of ${accepted.join(", ")} (not supported here: ${v}, ${why})`);
    return refuse(`one of ${accepted.join(", ")}`);
  };
}

function additionalEniTags(raw: string): AwsCheck {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return refuse("a JSON object of tags, here {} (not supported here: extra ENI tags)");
  return Object.keys(v).length === 0
    ? same
    : refuse(
        "{} (not supported here: extra ENI tags; ENIs carry only the cluster, node and creation-time tags)",
      );
}

const IPV4_ONLY = "IPv6 is not supported";

export const AWS_VARIABLES: readonly AwsVariable[] = Object.freeze([
  // ---- refused when they ask for the feature ----
  {
    name: "ENABLE_POD_ENI",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: security groups for pods (trunk and branch ENIs) are not implemented.",
    check: unsupportedWhen(true, "security groups for pods (trunk and branch ENIs)"),
  },
  {
    name: "ENABLE_IPv6",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: pods get IPv4 addresses only.",
    check: unsupportedWhen(true, "IPv6 pod addressing"),
  },
  {
    name: "ENABLE_IPv4",
    awsDefault: "true",
    kind: "unsupported",
    here: "Refused when false: IPv4 is the only mode.",
    check: unsupportedWhen(false, "turning IPv4 off", "IPv4 is the only mode"),
  },
  {
    name: "ENABLE_V6_EGRESS",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: no IPv6 egress interface in pods.",
    check: unsupportedWhen(true, "IPv6 egress from IPv4 pods"),
  },
  {
    name: "DISABLE_POD_V6",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: the conflist chains no tuning plugin to turn IPv6 off in pods.",
    check: unsupportedWhen(true, "turning IPv6 off in pods (the tuning plugin)"),
  },
  {
    name: "ENABLE_BANDWIDTH_PLUGIN",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: the conflist chains no bandwidth plugin.",
    check: unsupportedWhen(true, "chaining the bandwidth plugin"),
  },
  {
    name: "ANNOTATE_POD_IP",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: pods are not annotated with vpc.amazonaws.com/pod-ips.",
    check: unsupportedWhen(true, "the vpc.amazonaws.com/pod-ips pod annotation"),
  },
  {
    name: "ENABLE_MULTI_NIC",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: only network card 0 is used.",
    check: unsupportedWhen(true, "ENIs on network cards other than 0"),
  },
  {
    name: "ENABLE_IMDS_ONLY_MODE",
    awsDefault: "false",
    kind: "unsupported",
    here: "Refused when true: ipamd needs the EC2 API (use DISABLE_NETWORK_RESOURCE_PROVISIONING to never create or assign).",
    check: unsupportedWhen(true, "IMDS-only mode (no EC2 API calls)"),
  },
  {
    name: "MANAGE_UNTAGGED_ENI",
    awsDefault: "true",
    kind: "unsupported",
    here: "Refused when false: untagged secondary ENIs are used for pods; tag an ENI node.k8s.amazonaws.com/no_manage=true to keep ipamd off it.",
    check: unsupportedWhen(
      false,
      "leaving untagged ENIs unmanaged",
      "tag them node.k8s.amazonaws.com/no_manage=true instead",
    ),
  },
  {
    name: "ADDITIONAL_ENI_TAGS",
    awsDefault: "{}",
    kind: "unsupported",
    here: "Refused unless {}: ENIs carry only the cluster, node and creation-time tags (the IAM policy allows no others).",
    check: additionalEniTags,
  },
  {
    name: "AWS_EXTERNAL_SERVICE_CIDRS",
    awsDefault: "",
    kind: "unsupported",
    here: "Refused when set: no main-table routing rules for external service CIDRs.",
    check: unsupportedIfSet("routing external service CIDRs through the main table"),
  },
  {
    name: "AWS_EC2_ENDPOINT",
    awsDefault: "",
    kind: "unsupported",
    here: "Refused when set: set AWS_ENDPOINT_URL_EC2 (the AWS SDK's name) instead.",
    check: unsupportedIfSet("AWS_EC2_ENDPOINT", "set AWS_ENDPOINT_URL_EC2 instead"),
  },
  {
    name: "CLUSTER_ENDPOINT",
    awsDefault: "",
    kind: "unsupported",
    here: "Refused when set: ipamd reaches the API server through KUBERNETES_SERVICE_HOST or KUBECONFIG.",
    check: unsupportedIfSet("an API server endpoint other than KUBERNETES_SERVICE_HOST / KUBECONFIG"),
  },
  {
    name: "NETWORK_POLICY_ENFORCING_MODE",
    awsDefault: "standard",
    kind: "unsupported",
    here: "Refused when strict (pods denied until network policies apply); standard and none accepted: no network policy agent is told about pods.",
    check: oneOf(["standard", "none"], { strict: "default-deny until network policies apply" }),
  },
  // ---- accepted, no effect ----
  {
    name: "AWS_VPC_K8S_CNI_LOGLEVEL",
    awsDefault: "DEBUG",
    kind: "ignored",
    here: "Ignored: ipamd's log level is VPC_CNI_LOG_LEVEL.",
    check: ignoredAny("ipamd's log level is VPC_CNI_LOG_LEVEL"),
  },
  {
    name: "AWS_VPC_K8S_CNI_LOG_FILE",
    awsDefault: "/host/var/log/aws-routed-eni/ipamd.log",
    kind: "ignored",
    here: "Ignored: ipamd logs JSON lines to stderr (the container log).",
    check: ignoredAny("ipamd logs to stderr"),
  },
  {
    name: "AWS_VPC_K8S_PLUGIN_LOG_FILE",
    awsDefault: "/var/log/aws-routed-eni/plugin.log",
    kind: "ignored",
    here: "Ignored: the plugin's log file is the conflist's logFile (none by default: its warnings go to stderr, which the runtime logs).",
    check: ignoredAny("the plugin's log file is the conflist's logFile"),
  },
  {
    name: "AWS_VPC_K8S_PLUGIN_LOG_LEVEL",
    awsDefault: "DEBUG",
    kind: "ignored",
    here: "Ignored: the plugin has no log level (routine lines go to the conflist's logFile, warnings also to stderr).",
    check: ignoredAny("the plugin has no log level"),
  },
  {
    name: "AWS_VPC_K8S_CNI_BACKING_STORE",
    awsDefault: "/var/run/aws-node/ipam.json",
    kind: "ignored",
    here: "Ignored: the checkpoint lives in VPC_CNI_STATE_DIR.",
    check: ignoredAny("the checkpoint lives in VPC_CNI_STATE_DIR"),
  },
  {
    name: "VPC_CNI_VERSION",
    awsDefault: "",
    kind: "ignored",
    here: "Ignored (informational in the AWS manifests).",
    check: ignoredAny("informational"),
  },
  {
    name: "ENABLE_V4_EGRESS",
    awsDefault: "true",
    kind: "ignored",
    here: `Ignored: it only applies with ENABLE_IPv6=true (refused). Must be a boolean.`,
    check: ignoredBool(`only applies with ENABLE_IPv6=true (${IPV4_ONLY})`),
  },
  {
    name: "POD_SECURITY_GROUP_ENFORCING_MODE",
    awsDefault: "strict",
    kind: "ignored",
    here: "Ignored: it only applies with ENABLE_POD_ENI=true (refused). Must be strict or standard.",
    check: oneOf(["strict", "standard"], {}, "only applies with ENABLE_POD_ENI=true"),
  },
  {
    name: "DISABLE_TCP_EARLY_DEMUX",
    awsDefault: "false",
    kind: "ignored",
    here: "Ignored: it only applies with ENABLE_POD_ENI=true (refused). Must be a boolean.",
    check: ignoredBool("only applies with ENABLE_POD_ENI=true"),
  },
  {
    name: "AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER",
    awsDefault: "true",
    kind: "ignored",
    here: "Ignored (deprecated by the AWS VPC CNI too): ipamd always sets rp_filter loose (2) on the primary ENI's interface and on each ENI it sets up. Must be a boolean.",
    check: ignoredBool("ipamd always sets rp_filter loose (2)"),
  },
  {
    name: "ENABLE_NFTABLES",
    awsDefault: "false",
    kind: "ignored",
    here: "Ignored (deprecated by the AWS VPC CNI too): the iptables backend is detected at start. Must be a boolean.",
    check: ignoredBool("the iptables backend is detected at start"),
  },
  // ---- accepted, the AWS default included, but we behave one way ----
  {
    name: "AWS_VPC_CNI_NODE_PORT_SUPPORT",
    awsDefault: "true",
    kind: "differs",
    here: "Accepted, not implemented: no connmark rules steer replies of NodePort traffic to pods on secondary ENIs back out of the primary ENI (as the AWS VPC CNI with false). Must be a boolean.",
    check: boolDiffers(
      false,
      "NodePort connmark rules are not implemented: behaves as AWS_VPC_CNI_NODE_PORT_SUPPORT=false",
    ),
  },
  {
    name: "ENABLE_SUBNET_DISCOVERY",
    awsDefault: "true",
    kind: "differs",
    here: "Accepted, not implemented: new ENIs always use the primary ENI's subnet (or the ENIConfig's), never subnets tagged kubernetes.io/role/cni (as the AWS VPC CNI with false, or with true when no subnet is tagged). Must be a boolean.",
    check: boolDiffers(
      false,
      "subnet discovery is not implemented: new ENIs use the primary ENI's (or the ENIConfig's) subnet",
    ),
  },
  {
    name: "AWS_MANAGE_ENIS_NON_SCHEDULABLE",
    awsDefault: "false",
    kind: "differs",
    here: "Accepted, not implemented: ipamd manages ENIs whether or not the node is schedulable (as the AWS VPC CNI with true). Must be a boolean.",
    check: boolDiffers(true, "ENIs are managed on unschedulable nodes too (as with true)"),
  },
] satisfies AwsVariable[]);

/** The README's table of AWS VPC CNI variables not implemented here. */
export function awsVariablesMarkdownTable(): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const rows = AWS_VARIABLES.map(
    (v) =>
      `| \`${v.name}\` | ${v.awsDefault === "" ? "unset" : `\`${esc(v.awsDefault)}\``} | ${esc(v.here)} |`,
  );
  return ["| Variable | AWS default | Here |", "|---|---|---|", ...rows].join("\n");
}
