// Typed adapter over the netlink package's RtNetlinkSocket: only what hostnet
// uses, with strings in and out (names, "10.0.0.1", "aa:bb:..") instead of the
// package's loose Buffers, and every failure a HostnetError with an errno.
// Requests that change something are hand-encoded (rtnl-encode.ts) and sent
// through rtnl-request.ts, alone or batched; lookups and dumps use the package.
import type { RtNetlinkSocket, rt } from "netlink";
import { formatIpv4, formatMac, parseMac } from "./addr.ts";
import { isExists, isGone, nl, toHostnetError } from "./errors.ts";
import { linkKind, type VethPeer } from "./linkinfo.ts";
import {
  addressMessage,
  type BatchMessage,
  IFF_UP,
  linkGetMessage,
  linkSetMessage,
  parseLink,
  parseLinkEcho,
  permanentNeighbourMessage,
  routeDeleteMessage,
  routeMessage,
  ruleDeleteMessage,
  ruleMessage,
  vethCreateMessage,
} from "./rtnl-encode.ts";
import { type BatchSocket, sendBatch, sendOne } from "./rtnl-request.ts";
import type { HostnetError } from "./types.ts";

const AF_INET = 2;
export const RT_TABLE_MAIN = 254;

export interface LinkInfo {
  index: number;
  name: string;
  mac: string | undefined;
  mtu: number | undefined;
  up: boolean;
  kind: string | undefined;
}

/** What the kernel's echo of a new veth tells: no lookups needed after the create. */
export interface CreatedVeth {
  index: number;
  mac: string;
  /** The peer's ifindex, in the peer's namespace. */
  peerIndex: number;
}

export type Scope = "universe" | "link" | "host";

export interface RouteSpec {
  /** "a.b.c.d/len"; "0.0.0.0/0" for default. */
  dst: string;
  table?: number;
  oif?: number;
  gateway?: string;
  scope?: Scope;
  onlink?: boolean;
}

export interface RouteInfo {
  dst: string;
  table: number;
  oif: number | undefined;
  gateway: string | undefined;
  scope: Scope | number;
}

export interface RuleSpec {
  priority: number;
  /** Table to look up; 0 on delete means "any table". */
  table: number;
  src?: string;
  dst?: string;
}

export interface RuleInfo {
  priority: number | undefined;
  table: number;
  src: string | undefined;
  dst: string | undefined;
}

export interface NeighbourInfo {
  ip: string | undefined;
  mac: string | undefined;
  permanent: boolean;
}

function scopeName(n: number | string | undefined): Scope | number {
  if (n === 0 || n === "UNIVERSE") return "universe";
  if (n === 253 || n === "LINK") return "link";
  if (n === 254 || n === "HOST") return "host";
  return typeof n === "number" ? n : -1;
}

function toLinkInfo(m: rt.LinkMessage): LinkInfo {
  return {
    index: m.data.index ?? 0,
    name: m.attrs.ifname ?? "",
    mac: formatMac(m.attrs.address),
    mtu: m.attrs.mtu,
    up: m.data.flags?.up === true,
    kind: linkKind(m.attrs.linkinfo),
  };
}

/**
 * Requests one socket may have in flight. The kernel answers each request at
 * once, into the socket's receive buffer (~208 KiB by default). With no cap, a
 * burst of pipelined requests on one socket (the host socket, 100 concurrent
 * ADDs in bench:burst) overflowed it, and the netlink package then aborted
 * the whole process in its native code ("terminate called after throwing an
 * instance of 'Napi::Error'"; 200 linkByName at once were enough). 16
 * requests of at most two answers each stay far below the buffer.
 * test/integration/hostnet/rtnl-pipelining.test.ts sends 1,000 at once.
 */
export const MAX_IN_FLIGHT = 16;

export class Rtnl {
  readonly #raw: RtNetlinkSocket;
  /** Settles when every request issued so far has its answer. */
  #all: Promise<unknown> = Promise.resolve();
  /** Settles when the last dump issued so far is complete. */
  #lastDump: Promise<unknown> = Promise.resolve();
  #inFlight = 0;
  /** Requests waiting for a free slot, in the order issued (the kernel must see them in that order). */
  readonly #waiting: (() => void)[] = [];
  /** How to fail each request in flight, should the socket fail. */
  readonly #pending = new Set<(e: Error) => void>();
  #broken: HostnetError | undefined;

  constructor(sock: RtNetlinkSocket) {
    this.#raw = sock;
    // Socket errors the package reports (a failed receive) would otherwise be
    // an unhandled "error" event: fail what is in flight (its answers may be
    // lost) and let the owner open a new socket (see `broken`).
    sock.socket.on("error", (e) => this.#fail(e));
  }

  /** The socket failed: every request on it fails; open a new one. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  #fail(e: Error): void {
    this.#broken ??= toHostnetError(e, "netlink socket failed");
    for (const reject of this.#pending) reject(this.#broken);
    this.#pending.clear();
    // Each waiter gets a slot (and gives it back in #release) and fails at once.
    for (const wake of this.#waiting.splice(0)) {
      this.#inFlight++;
      wake();
    }
  }

  /** Sends `call` once a slot is free (FIFO), and fails it if the socket fails meanwhile. */
  async #send<T>(call: (sock: RtNetlinkSocket) => Promise<T>): Promise<T> {
    if (this.#inFlight >= MAX_IN_FLIGHT || this.#waiting.length > 0) {
      // The slot is handed over by the request that frees it (#release), so no later request overtakes.
      await new Promise<void>((wake) => this.#waiting.push(wake));
    } else this.#inFlight++;
    try {
      if (this.#broken) throw this.#broken;
      return await new Promise<T>((resolve, reject) => {
        this.#pending.add(reject);
        call(this.#raw)
          .then(resolve, reject)
          .finally(() => this.#pending.delete(reject));
      });
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight--;
  }

  /**
   * A request answered by ONE message (an ACK, or one link). Such requests are
   * pipelined: each is sent without waiting for the answer of the one before,
   * so a caller that issues several and awaits them together pays one round
   * trip, not one each (at most MAX_IN_FLIGHT at a time). The kernel still
   * handles a socket's requests one by one, in the order sent, so "link up"
   * then "route via that link" works. Only a dump in flight must not be
   * interleaved with (see #dump).
   */
  #do<T>(call: (sock: RtNetlinkSocket) => Promise<T>): Promise<T> {
    const run = () => this.#send(call);
    const p = this.#lastDump.then(run, run);
    const done = p.catch(() => undefined);
    this.#all = Promise.all([this.#all, done]);
    return p;
  }

  /**
   * A dump, answered by a multipart message. It goes alone: the netlink
   * package keeps a single "current multipart message", and any other answer
   * arriving inside it fails with "Multipart message not terminated properly".
   */
  #dump<T>(call: (sock: RtNetlinkSocket) => Promise<T>): Promise<T> {
    const run = () => this.#send(call);
    const p = this.#all.then(run, run);
    this.#all = this.#lastDump = p.catch(() => undefined);
    return p;
  }

  /**
   * Sends `msgs` (rtnl-encode.ts) in ONE datagram and resolves with each
   * one's outcome: undefined when done, else the kernel's errno name ("EEXIST"). The
   * kernel handles them in order and goes on after a failure, as it does for
   * pipelined requests; only the last asks for an ACK (frameBatch), so a batch
   * costs one send and one receive, plus one per failure. One slot, like any
   * request. A failed send or socket rejects the whole batch.
   */
  batch(msgs: readonly BatchMessage[]): Promise<(string | undefined)[]> {
    if (msgs.length === 0) return Promise.resolve([]);
    return this.#do((s) => sendBatch(s.socket as unknown as BatchSocket, msgs));
  }

  /** One hand-encoded request (rtnl-encode.ts): see sendOne. */
  #one(msg: BatchMessage): Promise<{ type: number; data: Buffer } | undefined> {
    return this.#do((s) => sendOne(s.socket as unknown as BatchSocket, msg));
  }

  close(): void {
    try {
      this.#raw.socket.close();
    } catch {
      // already closed by the failure that broke it
    }
  }

  // ---- links ----

  async linkByName(name: string): Promise<LinkInfo | undefined> {
    // Hand-encoded and hand-parsed (rtnl-encode.ts): the package's getLink
    // parses every attribute of the answer and leaves the ACK after it to its
    // generic parser, which throws for it (see sendOne): one wasted Error per DEL.
    try {
      const m = await this.#one(linkGetMessage(name));
      const l = m === undefined ? undefined : parseLink(m.data);
      if (l === undefined) return undefined;
      return {
        index: l.index,
        name: l.name ?? "",
        mac: l.mac,
        mtu: l.mtu,
        up: (l.flags & IFF_UP) !== 0,
        kind: l.kind,
      };
    } catch (err) {
      if (isGone(err)) return undefined;
      throw toHostnetError(err, `get link ${name}`);
    }
  }

  async links(): Promise<LinkInfo[]> {
    const all = await nl("dump links", () => this.#dump((s) => s.getLinks()));
    return all.map(toLinkInfo);
  }

  async linkByMac(mac: string): Promise<LinkInfo | undefined> {
    const want = formatMac(parseMac(mac));
    return (await this.links()).find((l) => l.mac === want);
  }

  /**
   * Creates veth `name` here, up, with its peer (down) directly in the
   * namespace behind peer.netnsFd. The peer cannot be brought up in the same
   * request: the kernel opens it before the pair is linked (ENOTCONN). Asks the kernel to echo the new link (NLM_F_ECHO,
   * Linux >= 6.3): its index, MAC and IFLA_LINK (the peer's index in the
   * peer's namespace) then come with the answer, and the caller needs no
   * lookups. undefined when the kernel did not echo (older kernels).
   */
  async createVeth(name: string, mtu: number, peer: VethPeer): Promise<CreatedVeth | undefined> {
    // Hand-encoded and hand-parsed (rtnl-encode.ts): the package's generic
    // parser decodes all of the echoed link (stats, per-family blocks) for
    // the three fields we read; ~0.2 ms of every ADD.
    const echo = await nl(`create veth ${name}/${peer.name}`, () =>
      this.#one(vethCreateMessage(name, mtu, peer)),
    );
    const link = echo === undefined ? undefined : parseLinkEcho(echo.data);
    return link && { index: link.index, mac: link.mac, peerIndex: link.link };
  }

  /** `name` renames (the kernel refuses that while the link is up: EBUSY). */
  async setLink(index: number, opts: { up?: boolean; mtu?: number; name?: string }): Promise<void> {
    await nl(`set link #${index}`, () => this.#one(linkSetMessage(index, opts)));
  }

  /** False when there was no such link. */
  async deleteLinkByName(name: string): Promise<boolean> {
    try {
      await this.#do((s) => s.delLink({}, { ifname: name }));
      return true;
    } catch (err) {
      if (isGone(err)) return false;
      throw toHostnetError(err, `delete link ${name}`);
    }
  }

  // ---- addresses ----

  async addAddress(index: number, ip: string, prefix: number): Promise<void> {
    await nl(`add address ${ip}/${prefix}`, () => this.#one(addressMessage(index, ip, prefix)));
  }

  async addresses(index?: number): Promise<{ index: number; ip: string; prefix: number }[]> {
    const all = await nl("dump addresses", () => this.#dump((s) => s.getAddresses({ family: AF_INET })));
    return all
      .filter((m) => index === undefined || m.data.index === index)
      .map((m) => ({
        index: m.data.index ?? 0,
        ip: formatIpv4(m.attrs.local ?? m.attrs.address) ?? "",
        prefix: m.data.prefixlen ?? 0,
      }));
  }

  // ---- routes ----

  /** replace=true makes it idempotent (NLM_F_REPLACE); otherwise EEXIST is an error. */
  async addRoute(spec: RouteSpec, replace = false): Promise<void> {
    await nl(`add route ${spec.dst} table ${spec.table ?? RT_TABLE_MAIN}`, () =>
      this.#one(routeMessage(spec, replace)),
    );
  }

  /** False when there was no such route. */
  async deleteRoute(spec: RouteSpec): Promise<boolean> {
    try {
      await this.#one(routeDeleteMessage(spec));
      return true;
    } catch (err) {
      if (isGone(err)) return false;
      throw toHostnetError(err, `delete route ${spec.dst}`);
    }
  }

  async routes(table?: number): Promise<RouteInfo[]> {
    const all = await nl("dump routes", () => this.#dump((s) => s.getRoutes({ family: AF_INET })));
    const out: RouteInfo[] = [];
    for (const m of all) {
      const t = m.attrs.table ?? m.data.table ?? 0;
      if (table !== undefined && t !== table) continue;
      out.push({
        dst: `${formatIpv4(m.attrs.dst) ?? "0.0.0.0"}/${m.data.dstLen ?? 0}`,
        table: t,
        oif: m.attrs.oif,
        gateway: formatIpv4(m.attrs.gateway),
        scope: scopeName(m.data.scope),
      });
    }
    return out;
  }

  // ---- rules ----

  /** True if added, false if an identical rule already existed (NLM_F_EXCL), so repeats never duplicate. */
  async addRule(spec: RuleSpec): Promise<boolean> {
    try {
      await this.#one(ruleMessage(spec));
      return true;
    } catch (err) {
      if (isExists(err)) return false;
      throw toHostnetError(err, `add rule pref ${spec.priority}`);
    }
  }

  /** False when there was no such rule. table 0 matches any table. */
  async deleteRule(spec: RuleSpec): Promise<boolean> {
    try {
      await this.#one(ruleDeleteMessage(spec));
      return true;
    } catch (err) {
      if (isGone(err)) return false;
      throw toHostnetError(err, `delete rule pref ${spec.priority}`);
    }
  }

  async rules(): Promise<RuleInfo[]> {
    const all = await nl("dump rules", () => this.#dump((s) => s.getRules({ family: AF_INET })));
    return all.map((m) => ({
      priority: m.attrs.priority,
      table: m.attrs.table ?? m.data.table ?? 0,
      src: m.attrs.src ? `${formatIpv4(m.attrs.src)}/${m.data.srcLen ?? 32}` : undefined,
      dst: m.attrs.dst ? `${formatIpv4(m.attrs.dst)}/${m.data.dstLen ?? 32}` : undefined,
    }));
  }

  // ---- neighbours ----

  async setPermanentNeighbour(index: number, ip: string, mac: string): Promise<void> {
    await nl(`add neighbour ${ip}`, () => this.#one(permanentNeighbourMessage(index, ip, mac)));
  }

  async neighbours(index: number): Promise<NeighbourInfo[]> {
    const all = await nl("dump neighbours", () => this.#dump((s) => s.getNeighbors({ family: AF_INET })));
    return all
      .filter((m) => m.data.ifindex === index)
      .map((m) => ({
        ip: formatIpv4(m.attrs.dst),
        mac: formatMac(m.attrs.lladdr),
        permanent: m.data.state?.permanent === true,
      }));
  }
}
