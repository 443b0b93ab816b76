// Hand-encoded rtnetlink requests: every request of Rtnl that changes a link,
// address, route, neighbour or rule, and the lookup of one link by name (the
// per-pod hot path: pod-plumbing's ADD and DEL), framed into ONE datagram by
// frameBatch (rtnl.ts: Rtnl.batch).
//
// Why not the netlink package's formatters: they are generic (attribute
// tables, enum lookups, one Buffer per field) and each request then costs a
// send, a receive and a parse of its answer. ipamd serves ADDs one at a time,
// often seconds apart, so that code also runs cold. bench/profile-plumb.ts,
// old and new interleaved: plumbing ADD p50 ~2.6 -> ~2.15 ms, its user CPU
// ~2.1 -> ~1.5 ms.
//
// Layouts from linux/netlink.h, rtnetlink.h, if_addr.h, neighbour.h,
// fib_rules.h; test/unit/hostnet/rtnl-encode.test.ts decodes every message
// with the netlink package's own parsers and compares field by field.
import { formatMac, parseCidr, parseIpv4, parseMac } from "./addr.ts";
import { linkKind, type VethPeer, vethLinkInfo } from "./linkinfo.ts";

export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_NEWNEIGH = 28;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const NLMSG_ERROR = 2;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_ECHO = 0x8;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

const AF_INET = 2;
export const IFF_UP = 0x1;
const NLMSGHDR_LEN = 16;
const RT_TABLE_COMPAT = 252;
const RTPROT_BOOT = 3;
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;
const NUD_PERMANENT = 0x80;
const FR_ACT_TO_TBL = 1;
const SCOPE = { universe: 0, link: 253, host: 254 } as const;
const RT_SCOPE_NOWHERE = 255;

// Attribute numbers.
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_EXT_MASK = 29;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_TABLE = 15;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const FRA_DST = 1;
const FRA_SRC = 2;
const FRA_PRIORITY = 6;
const FRA_TABLE = 15;

/** One request of a batch: rtnetlink type, NLM_F_* flags (REQUEST and ACK are added by frameBatch), payload. */
export interface BatchMessage {
  type: number;
  flags: number;
  payload: Buffer;
}

/** A fixed header of `len` zero bytes followed by attributes, built in one allocation. */
class Writer {
  readonly #parts: { type: number; data: Buffer }[] = [];
  readonly head: Buffer;
  constructor(len: number) {
    this.head = Buffer.alloc(len);
  }
  attr(type: number, data: Buffer): this {
    this.#parts.push({ type, data });
    return this;
  }
  u32(type: number, v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v >>> 0, 0);
    return this.attr(type, b);
  }
  done(): Buffer {
    let len = this.head.length;
    for (const p of this.#parts) len += (4 + p.data.length + 3) & ~3;
    const out = Buffer.alloc(len);
    this.head.copy(out, 0);
    let at = this.head.length;
    for (const p of this.#parts) {
      out.writeUInt16LE(4 + p.data.length, at);
      out.writeUInt16LE(p.type, at + 2);
      p.data.copy(out, at + 4);
      at += (4 + p.data.length + 3) & ~3;
    }
    return out;
  }
}

/** `ip link set <index> up` (struct ifinfomsg, no attributes). */
export function linkUpMessage(index: number): BatchMessage {
  const w = new Writer(16);
  w.head.writeInt32LE(index, 4);
  w.head.writeUInt32LE(IFF_UP, 8); // flags
  w.head.writeUInt32LE(IFF_UP, 12); // change
  return { type: RTM_NEWLINK, flags: 0, payload: w.done() };
}

/** `ip link set <index> [up|down] [mtu <mtu>] [name <name>]` (RTM_SETLINK; a rename needs the link down). */
export function linkSetMessage(
  index: number,
  opts: { up?: boolean; mtu?: number; name?: string },
): BatchMessage {
  const w = new Writer(16);
  w.head.writeInt32LE(index, 4);
  if (opts.up !== undefined) {
    w.head.writeUInt32LE(opts.up ? IFF_UP : 0, 8);
    w.head.writeUInt32LE(IFF_UP, 12);
  }
  if (opts.mtu !== undefined) w.u32(IFLA_MTU, opts.mtu);
  if (opts.name !== undefined) w.attr(IFLA_IFNAME, Buffer.from(`${opts.name}\0`, "utf8"));
  return { type: RTM_SETLINK, flags: 0, payload: w.done() };
}

/**
 * `ip link add <name> mtu <mtu> up type veth peer <peer>`, echoed back
 * (NLM_F_ECHO, Linux >= 6.3): parseLinkEcho reads the new link from the answer.
 */
export function vethCreateMessage(name: string, mtu: number, peer: VethPeer): BatchMessage {
  const w = new Writer(16);
  w.head.writeUInt32LE(IFF_UP, 8);
  w.head.writeUInt32LE(IFF_UP, 12);
  w.attr(IFLA_IFNAME, Buffer.from(`${name}\0`, "utf8")).u32(IFLA_MTU, mtu);
  w.attr(IFLA_LINKINFO, vethLinkInfo(peer));
  return { type: RTM_NEWLINK, flags: NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, payload: w.done() };
}

/**
 * `ip link show <name>`: answered by one RTM_NEWLINK (parseLink), or ENODEV.
 * Without the statistics blocks (RTEXT_FILTER_SKIP_STATS, as `ip` asks), the
 * largest part of a link message and nothing a caller reads.
 */
export function linkGetMessage(name: string): BatchMessage {
  const w = new Writer(16);
  w.attr(IFLA_IFNAME, Buffer.from(`${name}\0`, "utf8")).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return { type: RTM_GETLINK, flags: 0, payload: w.done() };
}

/** The fields of an RTM_NEWLINK payload that Rtnl's callers read; attributes the kernel left out stay undefined. */
export interface ParsedLink {
  index: number;
  /** ifi_flags (IFF_UP = 0x1, ...). */
  flags: number;
  name?: string;
  mac?: string;
  mtu?: number;
  /** IFLA_LINK: a veth's peer index, in the peer's namespace. */
  link?: number;
  /** IFLA_LINKINFO's IFLA_INFO_KIND: "veth", "bridge", ... */
  kind?: string;
}

/** One pass over an RTM_NEWLINK payload; undefined when shorter than its ifinfomsg. */
export function parseLink(data: Buffer): ParsedLink | undefined {
  if (data.length < 16) return undefined;
  const out: ParsedLink = { index: data.readInt32LE(4), flags: data.readUInt32LE(8) };
  for (let at = 16; at + 4 <= data.length; ) {
    const len = data.readUInt16LE(at);
    if (len < 4 || at + len > data.length) break;
    const type = data.readUInt16LE(at + 2) & 0x3fff;
    const value = data.subarray(at + 4, at + len);
    if (type === IFLA_ADDRESS) out.mac = formatMac(value);
    else if (type === IFLA_IFNAME) out.name = value.toString("utf8").replace(/\0+$/, "");
    else if (type === IFLA_MTU && value.length >= 4) out.mtu = value.readUInt32LE(0);
    else if (type === IFLA_LINK && value.length >= 4) out.link = value.readUInt32LE(0);
    else if (type === IFLA_LINKINFO) out.kind = linkKind(value);
    at += (len + 3) & ~3;
  }
  return out;
}

/** Index, MAC and IFLA_LINK (a veth's peer index) of an RTM_NEWLINK payload; undefined if any is missing. */
export function parseLinkEcho(data: Buffer): { index: number; mac: string; link: number } | undefined {
  const l = parseLink(data);
  return l?.mac === undefined || l.link === undefined
    ? undefined
    : { index: l.index, mac: l.mac, link: l.link };
}

/** `ip addr add <ip>/<prefix> dev <index>`; EEXIST if present (struct ifaddrmsg). */
export function addressMessage(index: number, ip: string, prefix: number): BatchMessage {
  const addr = parseIpv4(ip);
  const w = new Writer(8);
  w.head.writeUInt8(AF_INET, 0);
  w.head.writeUInt8(prefix, 1);
  w.head.writeUInt32LE(index, 4);
  w.attr(IFA_LOCAL, addr).attr(IFA_ADDRESS, addr);
  return { type: RTM_NEWADDR, flags: NLM_F_CREATE | NLM_F_EXCL, payload: w.done() };
}

export interface RouteFields {
  dst: string;
  oif?: number;
  gateway?: string;
  table?: number;
  scope?: keyof typeof SCOPE;
  onlink?: boolean;
}

/** RTM_NEWROUTE, proto boot, unicast (as `ip route add` makes it); replace: NLM_F_REPLACE, else EXCL. */
export function routeMessage(spec: RouteFields, replace: boolean): BatchMessage {
  const flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return { type: RTM_NEWROUTE, flags, payload: routePayload(spec, "add") };
}

/**
 * RTM_DELROUTE matching on dst, table, oif and gateway only: protocol, type
 * and scope are left "any" (0, 0, RT_SCOPE_NOWHERE), so a route someone re-made
 * with another protocol or scope still goes. ESRCH when there is none.
 */
export function routeDeleteMessage(spec: RouteFields): BatchMessage {
  return { type: RTM_DELROUTE, flags: 0, payload: routePayload(spec, "delete") };
}

/** struct rtmsg + attributes; a delete leaves protocol, scope and type "any". */
function routePayload(spec: RouteFields, op: "add" | "delete"): Buffer {
  const dst = parseCidr(spec.dst);
  const table = spec.table ?? 254;
  const w = new Writer(12);
  w.head.writeUInt8(AF_INET, 0);
  w.head.writeUInt8(dst.prefix, 1);
  w.head.writeUInt8(table < 256 ? table : RT_TABLE_COMPAT, 4);
  if (op === "add") {
    w.head.writeUInt8(RTPROT_BOOT, 5);
    w.head.writeUInt8(SCOPE[spec.scope ?? "universe"], 6);
    w.head.writeUInt8(RTN_UNICAST, 7);
  } else w.head.writeUInt8(RT_SCOPE_NOWHERE, 6);
  if (spec.onlink) w.head.writeUInt32LE(RTNH_F_ONLINK, 8);
  w.u32(RTA_TABLE, table);
  if (dst.prefix > 0) w.attr(RTA_DST, dst.ip);
  if (spec.oif !== undefined) w.u32(RTA_OIF, spec.oif);
  if (spec.gateway !== undefined) w.attr(RTA_GATEWAY, parseIpv4(spec.gateway));
  return w.done();
}

/** `ip neigh replace <ip> lladdr <mac> dev <index> nud permanent` (struct ndmsg). */
export function permanentNeighbourMessage(index: number, ip: string, mac: string): BatchMessage {
  const w = new Writer(12);
  w.head.writeUInt8(AF_INET, 0);
  w.head.writeInt32LE(index, 4);
  w.head.writeUInt16LE(NUD_PERMANENT, 8);
  w.attr(NDA_DST, parseIpv4(ip)).attr(NDA_LLADDR, parseMac(mac));
  return { type: RTM_NEWNEIGH, flags: NLM_F_CREATE | NLM_F_REPLACE, payload: w.done() };
}

export interface RuleFields {
  priority: number;
  /** Table to look up (> 0: the kernel's action "to table"); 0 in a delete: any table. */
  table: number;
  src?: string;
  dst?: string;
}

/** `ip rule add [from src] [to dst] lookup <table> pref <priority>`; EEXIST if identical. */
export function ruleMessage(spec: RuleFields): BatchMessage {
  return { type: RTM_NEWRULE, flags: NLM_F_CREATE | NLM_F_EXCL, payload: rulePayload(spec) };
}

/** `ip rule del [from src] [to dst] [lookup <table>] pref <priority>`: the first matching rule; ENOENT if none. */
export function ruleDeleteMessage(spec: RuleFields): BatchMessage {
  return { type: RTM_DELRULE, flags: 0, payload: rulePayload(spec) };
}

/** struct fib_rule_hdr + attributes; table 0 (deletes only): no action, no FRA_TABLE, any table matches. */
function rulePayload(spec: RuleFields): Buffer {
  const src = spec.src === undefined ? undefined : parseCidr(spec.src);
  const dst = spec.dst === undefined ? undefined : parseCidr(spec.dst);
  const w = new Writer(12);
  w.head.writeUInt8(AF_INET, 0);
  w.head.writeUInt8(dst?.prefix ?? 0, 1);
  w.head.writeUInt8(src?.prefix ?? 0, 2);
  w.head.writeUInt8(spec.table < 256 ? spec.table : RT_TABLE_COMPAT, 4);
  if (spec.table !== 0) w.head.writeUInt8(FR_ACT_TO_TBL, 7);
  w.u32(FRA_PRIORITY, spec.priority);
  if (spec.table !== 0) w.u32(FRA_TABLE, spec.table);
  if (src) w.attr(FRA_SRC, src.ip);
  if (dst) w.attr(FRA_DST, dst.ip);
  return w.done();
}

/**
 * The datagram: each message behind its nlmsghdr, with `seqs[i]` as its
 * sequence number. Only the LAST asks for an ACK: the kernel handles a
 * datagram's messages in order and reports every failure anyway, so the last
 * ACK means "all done", and any error before it names its message by seq.
 */
export function frameBatch(msgs: readonly BatchMessage[], seqs: readonly number[], port: number): Buffer {
  let len = 0;
  for (const m of msgs) len += NLMSGHDR_LEN + ((m.payload.length + 3) & ~3);
  const out = Buffer.alloc(len);
  let at = 0;
  msgs.forEach((m, i) => {
    const ack = i === msgs.length - 1 ? NLM_F_ACK : 0;
    out.writeUInt32LE(NLMSGHDR_LEN + m.payload.length, at);
    out.writeUInt16LE(m.type, at + 4);
    out.writeUInt16LE(m.flags | NLM_F_REQUEST | ack, at + 6);
    out.writeUInt32LE(seqs[i]!, at + 8);
    out.writeUInt32LE(port, at + 12);
    m.payload.copy(out, at + NLMSGHDR_LEN);
    at += NLMSGHDR_LEN + ((m.payload.length + 3) & ~3);
  });
  return out;
}
