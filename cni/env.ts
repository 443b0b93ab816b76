// The CNI_* environment: which variables each verb needs, and the spec's
// validation rules for container id, interface name, netns path and CNI_ARGS.
// Rules and error codes follow the spec and libcni's skel/utils so a runtime
// sees the same answers it would get from the reference plugins.
import { hasSlashColonOrSpace, isCniName } from "./chars.ts";
import { CNI_ERR, CniError } from "./errors.ts";

export const VERBS = ["ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"] as const;
export type Verb = (typeof VERBS)[number];

export interface PodArgs {
  namespace: string;
  name: string;
  infraContainerId?: string;
}

export interface CniEnv {
  command: Verb;
  containerId: string;
  /** Empty for DEL when the runtime no longer has the namespace. */
  netns: string;
  ifName: string;
  path: string;
  pod: PodArgs;
}

export type EnvLike = Readonly<Record<string, string | undefined>>;

const REQUIRED: Record<Verb, readonly string[]> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"],
  GC: ["CNI_PATH"],
  STATUS: ["CNI_PATH"],
  VERSION: [],
};

/** Reads CNI_COMMAND only: VERSION must work with nothing else set. */
export function parseCommand(env: EnvLike): Verb {
  const cmd = env["CNI_COMMAND"] ?? "";
  if (cmd === "") throw new CniError(CNI_ERR.INVALID_ENV, "required env variables [CNI_COMMAND] missing");
  if (!(VERBS as readonly string[]).includes(cmd)) {
    throw new CniError(CNI_ERR.INVALID_ENV, `unknown CNI_COMMAND: ${cmd}`);
  }
  return cmd as Verb;
}

export function parseEnv(env: EnvLike): CniEnv {
  const command = parseCommand(env);
  const missing: string[] = []; // loops, not filter/some, on this path: see chars.ts
  for (const k of REQUIRED[command]) if ((env[k] ?? "") === "") missing.push(k);
  if (missing.length > 0) {
    throw new CniError(CNI_ERR.INVALID_ENV, `required env variables [${missing.join(",")}] missing`);
  }
  const containerId = env["CNI_CONTAINERID"] ?? "";
  const ifName = env["CNI_IFNAME"] ?? "";
  const netns = env["CNI_NETNS"] ?? "";
  const perAttachment = command === "ADD" || command === "DEL" || command === "CHECK";
  if (perAttachment) {
    validateContainerId(containerId);
    validateIfName(ifName);
    if (netns !== "") validateNetnsPath(netns);
  }
  return {
    command,
    containerId,
    netns,
    ifName,
    path: env["CNI_PATH"] ?? "",
    pod: parseCniArgs(env["CNI_ARGS"] ?? ""),
  };
}

export function validateContainerId(id: string): void {
  if (id === "") throw new CniError(CNI_ERR.UNKNOWN_CONTAINER, "CNI_CONTAINERID: missing containerID");
  if (!isCniName(id)) {
    throw new CniError(
      CNI_ERR.INVALID_ENV,
      `CNI_CONTAINERID: invalid characters in containerID ${JSON.stringify(id)}`,
      id,
    );
  }
}

/** Bytes of `s` in UTF-8: the kernel counts IFNAMSIZ in bytes, not UTF-16 units. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair (4 bytes) is two units of 2.
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n;
}

/** Linux IFNAMSIZ is 16 including the NUL. */
const MAX_IFNAME = 15;

export function validateIfName(name: string): void {
  const bad = (why: string) =>
    new CniError(CNI_ERR.INVALID_ENV, `CNI_IFNAME ${JSON.stringify(name)}: ${why}`, name);
  if (name === "") throw bad("interface name is empty");
  if (utf8Length(name) > MAX_IFNAME) throw bad(`interface name is too long (max ${MAX_IFNAME} bytes)`);
  if (name === "." || name === "..") throw bad("interface name is . or ..");
  if (hasSlashColonOrSpace(name)) throw bad("interface name contains / or : or whitespace characters");
}

/**
 * CNI_NETNS must be an absolute path without "." / ".." components: ipamd
 * (running as root) opens it, so a relative or traversing path is refused
 * here rather than resolved against whatever directory the runtime had.
 */
export function validateNetnsPath(p: string): void {
  const bad = (why: string) => new CniError(CNI_ERR.INVALID_ENV, `invalid CNI_NETNS: ${why}`, p);
  if (!p.startsWith("/")) throw bad("not an absolute path");
  if (p.length > 4096) throw bad("path too long");
  if (p.includes("\0")) throw bad("contains NUL");
  for (const c of p.split("/")) if (c === "." || c === "..") throw bad("contains . or .. components");
}

const KNOWN_ARGS = new Set([
  "K8S_POD_NAMESPACE",
  "K8S_POD_NAME",
  "K8S_POD_INFRA_CONTAINER_ID",
  "K8S_POD_UID",
]);

/**
 * CNI_ARGS: "K1=V1;K2=V2". As in libcni's LoadArgs, a pair without exactly
 * one "=" is an error, and so is an unknown key unless IgnoreUnknown is
 * true/1 (containerd and CRI-O always send IgnoreUnknown=1).
 */
export function parseCniArgs(raw: string): PodArgs {
  const pod: PodArgs = { namespace: "", name: "" };
  if (raw === "") return pod;
  const kv = new Map<string, string>();
  for (const pair of raw.split(";")) {
    if (pair === "") continue;
    const parts = pair.split("=");
    if (parts.length !== 2 || parts[0] === "") {
      throw new CniError(CNI_ERR.INVALID_ENV, `CNI_ARGS: invalid pair ${JSON.stringify(pair)}`);
    }
    kv.set(parts[0]!, parts[1]!);
  }
  const ignore = (kv.get("IgnoreUnknown") ?? "").toLowerCase();
  if (ignore !== "" && ignore !== "true" && ignore !== "1" && ignore !== "false" && ignore !== "0") {
    throw new CniError(CNI_ERR.INVALID_ENV, `CNI_ARGS: IgnoreUnknown must be true/1/false/0, got ${ignore}`);
  }
  const ignoreUnknown = ignore === "true" || ignore === "1";
  for (const [k, v] of kv) {
    if (k === "IgnoreUnknown") continue;
    if (!KNOWN_ARGS.has(k)) {
      if (ignoreUnknown) continue;
      throw new CniError(CNI_ERR.INVALID_ENV, `CNI_ARGS: unknown key ${k} (set IgnoreUnknown=1 to allow)`);
    }
    if (k === "K8S_POD_NAMESPACE") pod.namespace = v;
    else if (k === "K8S_POD_NAME") pod.name = v;
    else if (k === "K8S_POD_INFRA_CONTAINER_ID" && v !== "") pod.infraContainerId = v;
  }
  return pod;
}
