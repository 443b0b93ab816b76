// The plugin <-> ipamd protocol: the ONLY module the CNI plugin imports from ipamd.
// Keep it dependency-free (types, constants and the few rules both sides must
// apply alike) so the plugin's import graph stays tiny.
//
// Transport: a Unix stream socket (mode 0600). One request per connection:
// the client writes one JSON object followed by "\n", the server answers one
// JSON object followed by "\n" and closes. Messages over MAX_MESSAGE_BYTES are
// refused. Every request carries `v: PROTOCOL_VERSION`; a server that does not
// speak that version answers an error with code CNI_ERR.INCOMPATIBLE_VERSION.
//
// ipamd does the per-pod plumbing itself (veth, addresses, routes, rules) over
// netlink sockets opened inside the pod's namespace: measured ~1.7 ms in a
// long-lived process, against ~43 ms just to load the netlink package in a
// freshly started plugin. The plugin is a thin, fast-starting client.

export const PROTOCOL_VERSION = 1;
export const DEFAULT_SOCKET_PATH = "/run/vpc-cni/ipamd.sock";
export const MAX_MESSAGE_BYTES = 1 << 20;

/** Error codes from the CNI spec (1.1.0) plus the ones ipamd uses. */
export const CNI_ERR = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENV: 4,
  IO_FAILURE: 5,
  DECODE_FAILURE: 6,
  INVALID_NETWORK_CONFIG: 7,
  TRY_AGAIN_LATER: 11,
  /** STATUS: cannot service ADD (ipamd starting, or the node is out of addresses). */
  PLUGIN_NOT_AVAILABLE: 50,
  /** STATUS: cannot service ADD, and existing pods may have limited connectivity (ipamd down). */
  LIMITED_CONNECTIVITY: 51,
  /** Internal/unexpected failures (spec allows >= 100 for plugin-specific codes). */
  INTERNAL: 100,
} as const;

/** The CNI attachment key: what makes a repeated ADD idempotent. */
export interface AttachmentKey {
  network: string;
  containerId: string;
  ifName: string;
}

export interface PodRef {
  namespace: string;
  name: string;
  /** K8S_POD_INFRA_CONTAINER_ID when the runtime sends it. */
  infraContainerId?: string;
}

/** Plumbing options that come from the network configuration. */
export interface LinkOptions {
  /** MTU for the pod interface and host veth. */
  mtu: number;
  /** Prefix of the host-side veth name (AWS_VPC_K8S_CNI_VETHPREFIX, "eni"). */
  vethPrefix: string;
}

/** Host veth prefixes refused: real interfaces are named like these (eth0, lo, vlan10, ens5). */
export const RESERVED_VETH_PREFIXES: readonly string[] = ["eth", "lo", "vlan", "ens"];

/**
 * Why `p` cannot prefix host veth names, or undefined when it can. Host veth
 * names are <prefix> + 11 hex digits and must fit IFNAMSIZ (15), so at most 4
 * characters, as AWS_VPC_K8S_CNI_VETHPREFIX allows. One rule for ipamd's
 * setting, its API and the plugin's config, so a prefix one side accepts is
 * never refused by the other at every ADD. No RegExp: the plugin runs this at
 * every exec.
 */
export function vethPrefixProblem(p: string): string | undefined {
  const rule = `1 to 4 letters, digits, "_" or "-", not ${RESERVED_VETH_PREFIXES.map((r) => `"${r}"`).join(", ")}`;
  if (p.length < 1 || p.length > 4 || RESERVED_VETH_PREFIXES.includes(p)) return rule;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 /* _ */ ||
      c === 45; /* - */
    if (!ok) return rule;
  }
  return undefined;
}

export interface AddRequest {
  v: typeof PROTOCOL_VERSION;
  op: "add";
  key: AttachmentKey;
  /** CNI_NETNS: path of the pod's network namespace. */
  netns: string;
  pod: PodRef;
  link: LinkOptions;
  /**
   * How long the plugin still waits for the answer (ms). When no address is
   * free but the pool is growing, ipamd holds the ADD up to this long
   * (capped by VPC_CNI_ADD_WAIT_SECONDS) instead of answering "try again"
   * at once: the pod gets its address the moment EC2 delivers, not after the
   * runtime's retry back-off. Absent or 0: answer at once.
   */
  waitMs?: number;
}

export interface DelRequest {
  v: typeof PROTOCOL_VERSION;
  op: "del";
  key: AttachmentKey;
  /** May be empty: DEL must work when the namespace is already gone. */
  netns: string;
  pod: PodRef;
  link: LinkOptions;
}

export interface CheckRequest {
  v: typeof PROTOCOL_VERSION;
  op: "check";
  key: AttachmentKey;
  netns: string;
  pod: PodRef;
  link: LinkOptions;
  /** The address the runtime believes the pod has (from prevResult). */
  expectIp: string;
}

export interface GcRequest {
  v: typeof PROTOCOL_VERSION;
  op: "gc";
  network: string;
  /** Attachments still in use; everything else this network holds is released. */
  valid: { containerId: string; ifName: string }[];
}

export interface StatusRequest {
  v: typeof PROTOCOL_VERSION;
  op: "status";
}

export type IpamdRequest = AddRequest | DelRequest | CheckRequest | GcRequest | StatusRequest;

/** What ADD created. The plugin turns it into a CNI result of the configured version. */
export interface AddResult {
  /** The pod's VPC address, without prefix length (it is a /32). */
  ip: string;
  eniId: string;
  /** Route table of the ENI (device number + 1), or 254 (main) for the primary ENI. */
  routeTable: number;
  /** The ENI subnet's gateway. */
  subnetGateway: string;
  /** The link-local next hop the pod uses (169.254.1.1). */
  podGateway: string;
  mtu: number;
  hostInterface: { name: string; mac: string };
  podInterface: { name: string; mac: string; sandbox: string };
}

export interface StatusResult {
  ready: boolean;
  /** Free addresses right now (excluding cooldown). */
  available: number;
  /** Addresses held by pods (absent from older ipamd versions). */
  assigned?: number;
  /** Human-readable explanation, with numbers, when not ready or exhausted. */
  reason?: string;
}

export interface IpamdError {
  code: number;
  msg: string;
  details?: string;
}

export type IpamdResponse =
  | { ok: true; op: "add"; result: AddResult }
  | { ok: true; op: "del" }
  | { ok: true; op: "check" }
  | { ok: true; op: "gc"; released: number }
  | { ok: true; op: "status"; result: StatusResult }
  | { ok: false; error: IpamdError };
