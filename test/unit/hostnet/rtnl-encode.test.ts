// The hand encoders must say exactly what the netlink package's formatters
// said for the same request (they replaced them for every request that
// changes links, addresses, routes, neighbours and rules): each case
// encodes both ways and compares the package's own decoding of the two.
import { AttrStream, rt } from "netlink";
import { describe, expect, it } from "vitest";
import { parseIpv4, parseMac } from "../../../ipamd/hostnet/addr.ts";
import { vethLinkInfo } from "../../../ipamd/hostnet/linkinfo.ts";
import {
  addressMessage,
  type BatchMessage,
  frameBatch,
  IFF_UP,
  linkGetMessage,
  linkSetMessage,
  linkUpMessage,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_ECHO,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  parseLink,
  parseLinkEcho,
  permanentNeighbourMessage,
  RTM_DELROUTE,
  RTM_DELRULE,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNEIGH,
  RTM_NEWROUTE,
  RTM_NEWRULE,
  RTM_SETLINK,
  routeDeleteMessage,
  routeMessage,
  ruleDeleteMessage,
  ruleMessage,
  vethCreateMessage,
} from "../../../ipamd/hostnet/rtnl-encode.ts";

type Formatter = (x: never, out: AttrStream) => void;

/** What the package would have put on the wire for `{ data, attrs }`. */
function packageBytes(format: Formatter, data: object, attrs: object): Buffer {
  const out = new AttrStream();
  (format as (x: { data: object; attrs: object }, out: AttrStream) => void)({ data, attrs }, out);
  return Buffer.concat(out.bufs as Buffer[]);
}

const decode = (type: number, payload: Buffer) => rt.parseMessage(type, payload);

function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

const cases: { name: string; mine: BatchMessage; type: number; flags: number; theirs: Buffer }[] = [
  {
    name: "link up",
    mine: linkUpMessage(9),
    type: RTM_NEWLINK,
    flags: 0,
    theirs: packageBytes(rt.formatLinkMessage, { index: 9, flags: { up: true }, change: { up: true } }, {}),
  },
  {
    name: "veth create, echoed",
    mine: vethCreateMessage("eni1a2b", 9001, {
      name: "eth0",
      mtu: 9001,
      netnsFd: 5,
      mac: "02:00:00:00:00:01",
    }),
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
    theirs: packageBytes(
      rt.formatLinkMessage,
      { flags: { up: true }, change: { up: true } },
      {
        ifname: "eni1a2b",
        mtu: 9001,
        linkinfo: vethLinkInfo({ name: "eth0", mtu: 9001, netnsFd: 5, mac: "02:00:00:00:00:01" }),
      },
    ),
  },
  {
    name: "link by name, statistics skipped",
    mine: linkGetMessage("eni1a2b"),
    type: RTM_GETLINK,
    flags: 0,
    theirs: packageBytes(rt.formatLinkMessage, {}, { ifname: "eni1a2b", extMask: u32le(8) }),
  },
  {
    name: "pod address /32",
    mine: addressMessage(3, "10.1.2.3", 32),
    type: RTM_NEWADDR,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    theirs: packageBytes(
      rt.formatAddressMessage,
      { family: 2, prefixlen: 32, index: 3 },
      { local: parseIpv4("10.1.2.3"), address: parseIpv4("10.1.2.3") },
    ),
  },
  {
    name: "host route to a pod, scope link, replace",
    mine: routeMessage({ dst: "10.0.1.7/32", oif: 12, scope: "link", table: 254 }, true),
    type: RTM_NEWROUTE,
    flags: NLM_F_CREATE | NLM_F_REPLACE,
    theirs: packageBytes(
      rt.formatRouteMessage,
      { family: 2, dstLen: 32, table: 254, protocol: "BOOT", scope: "LINK", type: "UNICAST" },
      { table: 254, dst: parseIpv4("10.0.1.7"), oif: 12 },
    ),
  },
  {
    name: "default route via the gateway, table above 255, onlink",
    mine: routeMessage(
      { dst: "0.0.0.0/0", oif: 2, gateway: "169.254.1.1", table: 1001, onlink: true },
      false,
    ),
    type: RTM_NEWROUTE,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    theirs: packageBytes(
      rt.formatRouteMessage,
      {
        family: 2,
        dstLen: 0,
        table: 252,
        protocol: "BOOT",
        scope: "UNIVERSE",
        type: "UNICAST",
        flags: { __unknown: 4 },
      },
      { table: 1001, oif: 2, gateway: parseIpv4("169.254.1.1") },
    ),
  },
  {
    name: "permanent neighbour",
    mine: permanentNeighbourMessage(2, "169.254.1.1", "02:aa:bb:cc:dd:ee"),
    type: RTM_NEWNEIGH,
    flags: NLM_F_CREATE | NLM_F_REPLACE,
    theirs: packageBytes(
      rt.formatNeighborMessage,
      { family: 2, ifindex: 2, state: { permanent: true } },
      { dst: parseIpv4("169.254.1.1"), lladdr: parseMac("02:aa:bb:cc:dd:ee") },
    ),
  },
  {
    name: "to-rule into main",
    mine: ruleMessage({ priority: 512, table: 254, dst: "10.0.1.7/32" }),
    type: RTM_NEWRULE,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    theirs: packageBytes(
      rt.formatRuleMessage,
      { family: 2, srcLen: 0, dstLen: 32, table: 254, action: "toTbl" },
      { priority: 512, table: 254, dst: parseIpv4("10.0.1.7") },
    ),
  },
  {
    name: "from-rule to a destination, ENI table above 255",
    mine: ruleMessage({ priority: 1536, table: 300, src: "10.0.1.7/32", dst: "10.0.0.0/16" }),
    type: RTM_NEWRULE,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    theirs: packageBytes(
      rt.formatRuleMessage,
      { family: 2, srcLen: 32, dstLen: 16, table: 252, action: "toTbl" },
      { priority: 1536, table: 300, src: parseIpv4("10.0.1.7"), dst: parseIpv4("10.0.0.0") },
    ),
  },
  {
    name: "link down",
    mine: linkSetMessage(9, { up: false }),
    type: RTM_SETLINK,
    flags: 0,
    theirs: packageBytes(rt.formatLinkMessage, { index: 9, flags: {}, change: { up: true } }, {}),
  },
  {
    name: "link rename and mtu, up untouched",
    mine: linkSetMessage(9, { name: "vcni0a1b2c", mtu: 1500 }),
    type: RTM_SETLINK,
    flags: 0,
    theirs: packageBytes(rt.formatLinkMessage, { index: 9 }, { mtu: 1500, ifname: "vcni0a1b2c" }),
  },
  {
    name: "route delete: protocol, type and scope left 'any'",
    mine: routeDeleteMessage({ dst: "10.0.1.7/32", oif: 12, table: 254, scope: "link" }),
    type: RTM_DELROUTE,
    flags: 0,
    theirs: packageBytes(
      rt.formatRouteMessage,
      { family: 2, dstLen: 32, table: 254, scope: "NOWHERE" },
      { table: 254, dst: parseIpv4("10.0.1.7"), oif: 12 },
    ),
  },
  {
    name: "rule delete in any table (from-rules of a pod whose ENI table is unknown)",
    mine: ruleDeleteMessage({ priority: 1536, table: 0, src: "10.0.1.7/32" }),
    type: RTM_DELRULE,
    flags: 0,
    theirs: packageBytes(
      rt.formatRuleMessage,
      { family: 2, srcLen: 32, dstLen: 0, table: 0, action: "unspec" },
      { priority: 1536, src: parseIpv4("10.0.1.7") },
    ),
  },
  {
    name: "rule delete in a given table",
    mine: ruleDeleteMessage({ priority: 512, table: 254, dst: "10.0.1.7/32" }),
    type: RTM_DELRULE,
    flags: 0,
    theirs: packageBytes(
      rt.formatRuleMessage,
      { family: 2, srcLen: 0, dstLen: 32, table: 254, action: "toTbl" },
      { priority: 512, table: 254, dst: parseIpv4("10.0.1.7") },
    ),
  },
];

describe("rtnl-encode: hand-encoded requests say what the package's formatters said", () => {
  it.each(cases)("$name", ({ mine, type, flags, theirs }) => {
    expect(mine.type).toBe(type);
    expect(mine.flags).toBe(flags);
    expect(mine.payload.length % 4).toBe(0);
    expect(decode(mine.type, mine.payload)).toEqual(decode(type, theirs));
  });

  it("refuses what it cannot encode, as the old path did (bad address, bad CIDR, bad MAC)", () => {
    expect(() => addressMessage(1, "10.0.0.300", 32)).toThrow(/invalid/);
    expect(() => routeMessage({ dst: "10.0.0.0/33" }, false)).toThrow(/invalid/);
    expect(() => permanentNeighbourMessage(1, "169.254.1.1", "zz:00")).toThrow(/invalid/);
  });
});

describe("frameBatch", () => {
  it("puts each message behind its header with its seq; only the last asks for an ACK", () => {
    const msgs = [
      linkUpMessage(2),
      addressMessage(2, "10.0.0.9", 32),
      ruleMessage({ priority: 512, table: 254 }),
    ];
    const buf = frameBatch(msgs, [7, 8, 9], 0);
    let at = 0;
    const seen: { type: number; flags: number; seq: number; len: number }[] = [];
    while (at < buf.length) {
      const len = buf.readUInt32LE(at);
      seen.push({
        type: buf.readUInt16LE(at + 4),
        flags: buf.readUInt16LE(at + 6),
        seq: buf.readUInt32LE(at + 8),
        len,
      });
      expect(buf.subarray(at + 16, at + len)).toEqual(msgs[seen.length - 1]!.payload);
      at += (len + 3) & ~3;
    }
    expect(at).toBe(buf.length);
    expect(seen).toEqual([
      { type: RTM_NEWLINK, flags: NLM_F_REQUEST, seq: 7, len: 16 + 16 },
      { type: RTM_NEWADDR, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, seq: 8, len: 16 + 8 + 16 },
      {
        type: RTM_NEWRULE,
        flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        seq: 9,
        len: 16 + 12 + 16,
      },
    ]);
  });
});

describe("parseLinkEcho", () => {
  /** An RTM_NEWLINK payload as the kernel echoes it: ifinfomsg, then attributes in any order. */
  function echo(index: number, attrs: [number, Buffer][]): Buffer {
    const head = Buffer.alloc(16);
    head.writeInt32LE(index, 4);
    const parts = attrs.map(([type, data]) => {
      const a = Buffer.alloc((4 + data.length + 3) & ~3);
      a.writeUInt16LE(4 + data.length, 0);
      a.writeUInt16LE(type, 2);
      data.copy(a, 4);
      return a;
    });
    return Buffer.concat([head, ...parts]);
  }
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  };

  it.each([
    {
      name: "index, MAC and peer index among other attributes",
      payload: echo(41, [
        [3, Buffer.from("eni1\0")],
        [1, parseMac("02:11:22:33:44:55")],
        [13, Buffer.alloc(64)], // a large attribute the parser passes over
        [5, u32(2)],
      ]),
      want: { index: 41, mac: "02:11:22:33:44:55", link: 2 },
    },
    { name: "no IFLA_LINK", payload: echo(41, [[1, parseMac("02:11:22:33:44:55")]]), want: undefined },
    { name: "no MAC", payload: echo(41, [[5, u32(2)]]), want: undefined },
    { name: "shorter than ifinfomsg", payload: Buffer.alloc(8), want: undefined },
    {
      name: "an attribute running past the end stops the scan",
      payload: Buffer.concat([
        echo(41, [[1, parseMac("02:11:22:33:44:55")]]),
        Buffer.from([0xff, 0x00, 0x05, 0x00]),
      ]),
      want: undefined,
    },
  ])("$name", ({ payload, want }) => {
    expect(parseLinkEcho(payload)).toEqual(want);
  });

  it.each([
    {
      name: "every field Rtnl.linkByName reads",
      payload: echo(7, [
        [3, Buffer.from("eni1a2b\0")],
        [4, u32(9001)],
        [1, parseMac("02:11:22:33:44:55")],
        [5, u32(3)],
        [18, Buffer.concat([Buffer.from([9, 0, 1, 0]), Buffer.from("veth\0\0\0\0")])], // IFLA_INFO_KIND "veth"
      ]),
      flags: IFF_UP,
      want: {
        index: 7,
        flags: IFF_UP,
        name: "eni1a2b",
        mtu: 9001,
        mac: "02:11:22:33:44:55",
        link: 3,
        kind: "veth",
      },
    },
    {
      name: "a link without MAC, peer or kind (lo)",
      payload: echo(1, [[3, Buffer.from("lo\0")]]),
      flags: 0,
      want: { index: 1, flags: 0, name: "lo" },
    },
    { name: "shorter than ifinfomsg", payload: Buffer.alloc(8), flags: 0, want: undefined },
  ])("parseLink: $name", ({ payload, flags, want }) => {
    if (payload.length >= 16) payload.writeUInt32LE(flags, 8);
    expect(parseLink(payload)).toEqual(want);
  });
});
