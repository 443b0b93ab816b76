// Hand-encoded IFLA_LINKINFO for veth: the netlink package exposes linkinfo
// only as raw bytes. Layout (see linux/if_link.h, linux/veth.h):
//   IFLA_LINKINFO { IFLA_INFO_KIND "veth", IFLA_INFO_DATA { VETH_INFO_PEER
//     { struct ifinfomsg (16 bytes), IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_NET_NS_FD } } }
import { parseMac } from "./addr.ts";

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFINFOMSG_LEN = 16;

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
}

function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf8");
}

export interface VethPeer {
  name: string;
  mtu?: number;
  /** Put the peer directly into the namespace behind this fd. */
  netnsFd?: number;
  /** "aa:bb:cc:dd:ee:ff"; default: the kernel picks a random one. */
  mac?: string;
}

/** The payload of IFLA_LINKINFO for a veth whose peer is `peer`. */
export function vethLinkInfo(peer: VethPeer): Buffer {
  const peerAttrs = [attr(IFLA_IFNAME, cstr(peer.name))];
  if (peer.mac !== undefined) peerAttrs.push(attr(IFLA_ADDRESS, parseMac(peer.mac)));
  if (peer.mtu !== undefined) peerAttrs.push(attr(IFLA_MTU, u32(peer.mtu)));
  if (peer.netnsFd !== undefined) peerAttrs.push(attr(IFLA_NET_NS_FD, u32(peer.netnsFd)));
  const peerInfo = attr(VETH_INFO_PEER, Buffer.concat([Buffer.alloc(IFINFOMSG_LEN), ...peerAttrs]));
  return Buffer.concat([attr(IFLA_INFO_KIND, cstr("veth")), attr(IFLA_INFO_DATA, peerInfo)]);
}

/** IFLA_INFO_KIND out of a dumped IFLA_LINKINFO payload (e.g. "veth"), if present. */
export function linkKind(linkinfo: Buffer | undefined): string | undefined {
  if (!linkinfo) return undefined;
  let off = 0;
  while (off + 4 <= linkinfo.length) {
    const len = linkinfo.readUInt16LE(off);
    const type = linkinfo.readUInt16LE(off + 2) & 0x3fff;
    if (len < 4) return undefined;
    if (type === IFLA_INFO_KIND)
      return linkinfo
        .subarray(off + 4, off + len)
        .toString("utf8")
        .replace(/\0+$/, "");
    off += (len + 3) & ~3;
  }
  return undefined;
}
