// IPv4 address / CIDR / MAC parsing for netlink attributes. Strict on purpose:
// bad input must fail with a clear error before anything is changed.
import { HostnetError } from "./types.ts";

function invalid(what: string, value: string): HostnetError {
  return new HostnetError("invalid", `invalid ${what}: ${JSON.stringify(value)}`, "EINVAL");
}

export function parseIpv4(ip: string): Buffer {
  const parts = ip.split(".");
  if (parts.length !== 4) throw invalid("IPv4 address", ip);
  const out = Buffer.alloc(4);
  parts.forEach((p, i) => {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) throw invalid("IPv4 address", ip);
    out[i] = Number(p);
  });
  return out;
}

export function formatIpv4(buf: Buffer | undefined): string | undefined {
  return buf?.length === 4 ? `${buf[0]}.${buf[1]}.${buf[2]}.${buf[3]}` : undefined;
}

export interface Cidr {
  /** Network address (host bits cleared). */
  ip: Buffer;
  prefix: number;
  text: string;
}

export function parseCidr(cidr: string): Cidr {
  const [ipPart, lenPart, extra] = cidr.split("/");
  if (ipPart === undefined || lenPart === undefined || extra !== undefined || !/^[0-9]{1,2}$/.test(lenPart)) {
    throw invalid("CIDR", cidr);
  }
  const prefix = Number(lenPart);
  if (prefix > 32) throw invalid("CIDR", cidr);
  const raw = parseIpv4(ipPart).readUInt32BE(0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const ip = Buffer.alloc(4);
  ip.writeUInt32BE((raw & mask) >>> 0, 0);
  return { ip, prefix, text: `${formatIpv4(ip)}/${prefix}` };
}

export function parseMac(mac: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw invalid("MAC address", mac);
  return Buffer.from(mac.replaceAll(":", ""), "hex");
}

export function formatMac(buf: Buffer | undefined): string | undefined {
  if (buf?.length !== 6) return undefined;
  return [...buf].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
