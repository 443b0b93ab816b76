// Request validation for the plugin <-> ipamd protocol: bytes in, a typed
// request or a coded error out. Pure, so every refusal is table-tested.
// Codes follow the CNI spec: a bad CNI_* value is INVALID_ENV (4), a bad
// value from the network configuration is INVALID_NETWORK_CONFIG (7),
// unparsable bytes are DECODE_FAILURE (6).
import { isIP } from "node:net";
import { isValidIfName } from "../hostnet/naming.ts";
import {
  type AttachmentKey,
  CNI_ERR,
  type IpamdError,
  type IpamdRequest,
  type LinkOptions,
  type PodRef,
  PROTOCOL_VERSION,
  vethPrefixProblem,
} from "./protocol.ts";

export type Parsed = { ok: true; req: IpamdRequest } | { ok: false; error: IpamdError };

class Invalid extends Error {
  readonly code: number;
  constructor(code: number, msg: string) {
    super(msg);
    this.code = code;
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(o: Obj, field: string, code: number, where: string, allowEmpty = false): string {
  const v = o[field];
  if (typeof v !== "string" || (!allowEmpty && v.length === 0)) {
    throw new Invalid(code, `${where}.${field} must be a ${allowEmpty ? "" : "non-empty "}string`);
  }
  if (v.length > 4096 || v.includes("\0")) throw new Invalid(code, `${where}.${field} is not a sane string`);
  return v;
}

function obj(o: Obj, field: string, code: number): Obj {
  const v = o[field];
  if (!isObj(v)) throw new Invalid(code, `${field} must be an object`);
  return v;
}

// Container ids come from the runtime (64 hex for containerd/CRI-O) but the
// spec only says "unique, not empty"; we refuse only what could hurt paths or logs.
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function parseKey(o: Obj): AttachmentKey {
  const k = obj(o, "key", CNI_ERR.INVALID_ENV);
  const network = str(k, "network", CNI_ERR.INVALID_NETWORK_CONFIG, "key");
  const containerId = str(k, "containerId", CNI_ERR.INVALID_ENV, "key");
  if (!CONTAINER_ID.test(containerId)) {
    throw new Invalid(
      CNI_ERR.INVALID_ENV,
      `key.containerId ${JSON.stringify(containerId)} has invalid characters`,
    );
  }
  const ifName = str(k, "ifName", CNI_ERR.INVALID_ENV, "key");
  if (!isValidIfName(ifName)) {
    throw new Invalid(
      CNI_ERR.INVALID_ENV,
      `key.ifName ${JSON.stringify(ifName)} is not a valid interface name`,
    );
  }
  return { network, containerId, ifName };
}

function parsePod(o: Obj): PodRef {
  const p = obj(o, "pod", CNI_ERR.INVALID_ENV);
  // Runtimes outside Kubernetes send no pod: empty strings are allowed, the
  // host veth name is then derived from the container id by the handler.
  const pod: PodRef = {
    namespace: str(p, "namespace", CNI_ERR.INVALID_ENV, "pod", true),
    name: str(p, "name", CNI_ERR.INVALID_ENV, "pod", true),
  };
  if (p.infraContainerId !== undefined) {
    pod.infraContainerId = str(p, "infraContainerId", CNI_ERR.INVALID_ENV, "pod", true);
  }
  return pod;
}

/** 576 is the IPv4 minimum; 9001 is the largest MTU a VPC carries (jumbo frames). */
export const MIN_MTU = 576;
export const MAX_MTU = 9001;

function parseLink(o: Obj): LinkOptions {
  const l = obj(o, "link", CNI_ERR.INVALID_NETWORK_CONFIG);
  const mtu = l.mtu;
  if (typeof mtu !== "number" || !Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) {
    throw new Invalid(CNI_ERR.INVALID_NETWORK_CONFIG, `link.mtu must be an integer ${MIN_MTU}-${MAX_MTU}`);
  }
  const vethPrefix = str(l, "vethPrefix", CNI_ERR.INVALID_NETWORK_CONFIG, "link");
  const prefixProblem = vethPrefixProblem(vethPrefix);
  if (prefixProblem !== undefined) {
    throw new Invalid(CNI_ERR.INVALID_NETWORK_CONFIG, `link.vethPrefix must be ${prefixProblem}`);
  }
  return { mtu, vethPrefix };
}

/** Longest an ADD may ask to be held (the plugin's own timeouts stop at 600 s). */
export const MAX_WAIT_MS = 600_000;

function parseWaitMs(o: Obj): number | undefined {
  const w = o.waitMs;
  if (w === undefined) return undefined;
  if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > MAX_WAIT_MS)
    throw new Invalid(CNI_ERR.INVALID_ENV, `waitMs must be an integer 0-${MAX_WAIT_MS}`);
  return w;
}

function parseNetns(o: Obj, required: boolean): string {
  const netns = str(o, "netns", CNI_ERR.INVALID_ENV, "request", !required);
  if (netns !== "" && !netns.startsWith("/")) {
    throw new Invalid(CNI_ERR.INVALID_ENV, `netns ${JSON.stringify(netns)} must be an absolute path`);
  }
  return netns;
}

function parseObject(o: Obj): IpamdRequest {
  if (o.v !== PROTOCOL_VERSION) {
    throw new Invalid(
      CNI_ERR.INCOMPATIBLE_VERSION,
      `protocol version ${JSON.stringify(o.v)} not supported; this ipamd speaks ${PROTOCOL_VERSION}`,
    );
  }
  const v = PROTOCOL_VERSION;
  switch (o.op) {
    case "add": {
      const waitMs = parseWaitMs(o);
      return {
        v,
        op: "add",
        key: parseKey(o),
        netns: parseNetns(o, true),
        pod: parsePod(o),
        link: parseLink(o),
        ...(waitMs === undefined ? {} : { waitMs }),
      };
    }
    case "del":
      return {
        v,
        op: "del",
        key: parseKey(o),
        netns: parseNetns(o, false),
        pod: parsePod(o),
        link: parseLink(o),
      };
    case "check": {
      const expectIp = str(o, "expectIp", CNI_ERR.INVALID_ENV, "request");
      if (isIP(expectIp) !== 4)
        throw new Invalid(CNI_ERR.INVALID_ENV, `expectIp ${expectIp} is not an IPv4 address`);
      return {
        v,
        op: "check",
        key: parseKey(o),
        netns: parseNetns(o, true),
        pod: parsePod(o),
        link: parseLink(o),
        expectIp,
      };
    }
    case "gc": {
      const network = str(o, "network", CNI_ERR.INVALID_NETWORK_CONFIG, "request");
      if (!Array.isArray(o.valid)) throw new Invalid(CNI_ERR.INVALID_ENV, "valid must be an array");
      const valid = o.valid.map((e: unknown, i) => {
        if (!isObj(e)) throw new Invalid(CNI_ERR.INVALID_ENV, `valid[${i}] must be an object`);
        return {
          containerId: str(e, "containerId", CNI_ERR.INVALID_ENV, `valid[${i}]`),
          ifName: str(e, "ifName", CNI_ERR.INVALID_ENV, `valid[${i}]`),
        };
      });
      return { v, op: "gc", network, valid };
    }
    case "status":
      return { v, op: "status" };
    default:
      throw new Invalid(CNI_ERR.INVALID_ENV, `unknown op ${JSON.stringify(o.op)}`);
  }
}

/** One request line (without its "\n") to a typed request or a coded error. */
export function parseRequest(line: string): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return {
      ok: false,
      error: {
        code: CNI_ERR.DECODE_FAILURE,
        msg: "request is not valid JSON",
        details: (e as Error).message,
      },
    };
  }
  if (!isObj(raw))
    return { ok: false, error: { code: CNI_ERR.DECODE_FAILURE, msg: "request must be a JSON object" } };
  try {
    return { ok: true, req: parseObject(raw) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: { code: e.code, msg: e.message } };
    throw e;
  }
}
