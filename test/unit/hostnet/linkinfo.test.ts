import { describe, expect, it } from "vitest";
import { linkKind, vethLinkInfo } from "../../../ipamd/hostnet/linkinfo.ts";

describe("vethLinkInfo", () => {
  it("encodes kind veth and a peer with name, mtu and netns fd, 4-byte aligned", () => {
    const b = vethLinkInfo({ name: "eth0", mtu: 9001, netnsFd: 7 });
    expect(b.length % 4).toBe(0);
    expect(linkKind(b)).toBe("veth");
    // IFLA_INFO_KIND: len 9 ("veth\0" + 4), type 1, padded to 12
    expect(b.readUInt16LE(0)).toBe(9);
    expect(b.readUInt16LE(2)).toBe(1);
    // IFLA_INFO_DATA at 12 wraps VETH_INFO_PEER at 16: 16-byte ifinfomsg, then IFLA_IFNAME
    expect(b.readUInt16LE(14)).toBe(2);
    expect(b.readUInt16LE(18)).toBe(1);
    const peerAttrs = 16 + 4 + 16;
    expect(b.readUInt16LE(peerAttrs + 2)).toBe(3);
    expect(b.subarray(peerAttrs + 4, peerAttrs + 8).toString()).toBe("eth0");
    // MTU then NET_NS_FD follow the 12-byte (8+1 padded) name attribute
    expect(b.readUInt16LE(peerAttrs + 12 + 2)).toBe(4);
    expect(b.readUInt32LE(peerAttrs + 12 + 4)).toBe(9001);
    expect(b.readUInt16LE(peerAttrs + 20 + 2)).toBe(28);
    expect(b.readUInt32LE(peerAttrs + 20 + 4)).toBe(7);
    expect(b.length).toBe(peerAttrs + 28);
  });
  it("puts a chosen peer MAC in IFLA_ADDRESS right after the name", () => {
    const b = vethLinkInfo({ name: "eth0", mac: "02:aa:bb:cc:dd:0e" });
    const peerAttrs = 16 + 4 + 16;
    expect(b.readUInt16LE(peerAttrs + 12)).toBe(10); // 4 + 6 bytes, padded to 12
    expect(b.readUInt16LE(peerAttrs + 12 + 2)).toBe(1);
    expect(b.subarray(peerAttrs + 12 + 4, peerAttrs + 12 + 10).toString("hex")).toBe("02aabbccdd0e");
    expect(b.length).toBe(peerAttrs + 24);
  });
  it("linkKind tolerates missing or truncated input", () => {
    expect(linkKind(undefined)).toBeUndefined();
    expect(linkKind(Buffer.from([1, 0]))).toBeUndefined();
  });
});
