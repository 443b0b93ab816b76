import { describe, expect, it } from "vitest";
import { formatIpv4, formatMac, parseCidr, parseIpv4, parseMac } from "../../../ipamd/hostnet/addr.ts";

describe("addr", () => {
  it("round-trips IPv4", () => {
    expect(formatIpv4(parseIpv4("10.0.255.1"))).toBe("10.0.255.1");
  });
  it.each(["10.0.0", "10.0.0.256", "1.2.3.04", "a.b.c.d", "", "1.2.3.4/32"])("rejects IPv4 %j", (s) => {
    expect(() => parseIpv4(s)).toThrow(/invalid IPv4/);
  });
  it("normalises CIDRs to the network address", () => {
    expect(parseCidr("10.1.2.3/16").text).toBe("10.1.0.0/16");
    expect(parseCidr("0.0.0.0/0").prefix).toBe(0);
    expect(parseCidr("10.1.2.3/32").text).toBe("10.1.2.3/32");
  });
  it.each(["10.0.0.0", "10.0.0.0/33", "10.0.0.0/8/1", "10.0.0.0/x"])("rejects CIDR %j", (s) => {
    expect(() => parseCidr(s)).toThrow(/invalid/);
  });
  it("round-trips MACs, lower-cased", () => {
    expect(formatMac(parseMac("0A:1b:2c:3d:4e:5f"))).toBe("0a:1b:2c:3d:4e:5f");
    expect(() => parseMac("0a:1b:2c:3d:4e")).toThrow(/invalid MAC/);
    expect(formatMac(undefined)).toBeUndefined();
  });
});
