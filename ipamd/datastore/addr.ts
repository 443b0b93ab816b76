// IPv4 helpers for the datastore: a /28 prefix's 16 addresses, numeric order.

export function ipToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  let n = 0;
  for (const p of parts) {
    const o = Number(p);
    if (!/^[0-9]{1,3}$/.test(p) || o > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
    n = n * 256 + o;
  }
  return n;
}

export function intToIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export const PREFIX_SIZE = 16;

/** "10.0.1.16/28" -> the 16 addresses, lowest first. EC2 delegates whole /28s, all usable by pods. */
export function prefixAddresses(prefix: string): string[] {
  const [base, len] = prefix.split("/");
  if (len !== "28" || base === undefined) throw new Error(`not a /28 prefix: ${JSON.stringify(prefix)}`);
  const start = ipToInt(base);
  if (start % PREFIX_SIZE !== 0) throw new Error(`prefix ${prefix} is not aligned to /28`);
  const out: string[] = [];
  for (let i = 0; i < PREFIX_SIZE; i++) out.push(intToIp(start + i));
  return out;
}

export function compareIps(a: string, b: string): number {
  return ipToInt(a) - ipToInt(b);
}
