// The network configuration on stdin: JSON decoding (error 6), the fields this
// plugin reads and their validation (error 7, 2 for fields it cannot honour,
// 1 for a version it cannot speak). Unknown fields are ignored, as the spec
// asks: runtimes and conflists add keys (args, capabilities, ...) freely.
import { DEFAULT_SOCKET_PATH, vethPrefixProblem } from "../ipamd/api/protocol.ts";
import { isCniName } from "./chars.ts";
import { CNI_ERR, CniError } from "./errors.ts";
import { type CniVersion, checkVersion } from "./version.ts";

export interface Attachment {
  containerId: string;
  ifName: string;
}

export interface NetConf {
  cniVersion: CniVersion;
  name: string;
  type: string;
  mtu: number;
  vethPrefix: string;
  socketPath: string;
  /** Overrides every per-verb ipamd timeout when set. */
  ipamdTimeoutMs?: number;
  logFile?: string;
  /** The previous plugin result (CHECK, DEL; chained ADD never puts us first anyway). */
  prevResult?: Record<string, unknown>;
  /** GC only: attachments the runtime still uses. */
  validAttachments?: Attachment[];
}

/** AWS VPC CNI's default (AWS_VPC_ENI_MTU): jumbo frames inside a VPC. */
export const DEFAULT_MTU = 9001;
export const DEFAULT_VETH_PREFIX = "eni";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Decodes stdin. Only the version is checked first, so later errors can be reported in that version. */
export function decodeConfig(stdin: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new CniError(CNI_ERR.DECODE_FAILURE, "error parsing network configuration from stdin", why);
  }
  if (!isObject(raw)) {
    throw new CniError(CNI_ERR.DECODE_FAILURE, "network configuration must be a JSON object");
  }
  return raw;
}

function invalid(msg: string, details = ""): CniError {
  return new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, msg, details);
}

function optString(conf: Json, key: string): string | undefined {
  const v = conf[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(`"${key}" must be a string`, JSON.stringify(v));
  return v;
}

function optInt(conf: Json, key: string, min: number, max: number): number | undefined {
  const v = conf[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`"${key}" must be an integer in [${min}, ${max}]`, JSON.stringify(v));
  }
  return v;
}

export function parseConfig(conf: Json, opts: { forGc?: boolean } = {}): NetConf {
  const cniVersion = checkVersion(conf["cniVersion"]);
  const name = optString(conf, "name");
  if (name === undefined || name === "") throw invalid("missing network name");
  if (!isCniName(name)) throw invalid("invalid characters found in network name", name);
  const type = optString(conf, "type");
  if (type === undefined || type === "") throw invalid("missing plugin type");
  // ipamd is the IPAM: a delegated "ipam" section would silently be ignored, so refuse it (code 2).
  const ipam = conf["ipam"];
  if (ipam !== undefined && ipam !== null && !(isObject(ipam) && Object.keys(ipam).length === 0)) {
    throw new CniError(CNI_ERR.UNSUPPORTED_FIELD, "unsupported field: ipam", `ipam=${JSON.stringify(ipam)}`);
  }

  const mtu = optInt(conf, "mtu", 576, 9001) ?? DEFAULT_MTU;
  const vethPrefix = optString(conf, "vethPrefix") ?? DEFAULT_VETH_PREFIX;
  // ipamd's AWS_VPC_K8S_CNI_VETHPREFIX is checked by the same rule (protocol.ts).
  const prefixProblem = vethPrefixProblem(vethPrefix);
  if (prefixProblem !== undefined) throw invalid(`vethPrefix must be ${prefixProblem}`, vethPrefix);
  const socketPath = optString(conf, "socketPath") ?? DEFAULT_SOCKET_PATH;
  if (!socketPath.startsWith("/") || socketPath.length > 107) {
    // 107: sun_path is 108 bytes with the NUL.
    throw invalid("socketPath must be an absolute path of at most 107 bytes", socketPath);
  }
  const logFile = optString(conf, "logFile");
  if (logFile !== undefined && !logFile.startsWith("/"))
    throw invalid("logFile must be an absolute path", logFile);
  const ipamdTimeoutMs = optInt(conf, "ipamdTimeoutMs", 100, 600_000);

  const out: NetConf = { cniVersion, name, type, mtu, vethPrefix, socketPath };
  if (ipamdTimeoutMs !== undefined) out.ipamdTimeoutMs = ipamdTimeoutMs;
  if (logFile !== undefined) out.logFile = logFile;

  const prev = conf["prevResult"];
  if (prev !== undefined && prev !== null) {
    if (!isObject(prev)) throw invalid('"prevResult" must be an object');
    out.prevResult = prev;
  }
  if (opts.forGc) out.validAttachments = parseValidAttachments(conf);
  return out;
}

/**
 * GC's list of attachments still in use. Spec 1.1.0 names it
 * cni.dev/valid-attachments; early drafts (and some runtimes) used
 * cni.dev/attachments. A GC without either list is refused rather than read as
 * "nothing is valid", which would release every pod address on the node.
 */
export function parseValidAttachments(conf: Json): Attachment[] {
  const key = "cni.dev/valid-attachments" in conf ? "cni.dev/valid-attachments" : "cni.dev/attachments";
  if (!(key in conf)) {
    throw invalid(
      "GC needs cni.dev/valid-attachments",
      "refusing to treat a missing list as 'release everything'",
    );
  }
  // Present but null is an empty list: libcni passes the runtime's Go slice
  // as is, and a nil slice (no pod left on this network, e.g. after a reboot)
  // encodes as null.
  const list = conf[key] ?? [];
  if (!Array.isArray(list)) throw invalid(`"${key}" must be an array`);
  return list.map((a, i) => {
    if (!isObject(a) || typeof a["containerID"] !== "string" || typeof a["ifname"] !== "string") {
      throw invalid(`"${key}"[${i}] must be {"containerID": string, "ifname": string}`, JSON.stringify(a));
    }
    return { containerId: a["containerID"], ifName: a["ifname"] };
  });
}
