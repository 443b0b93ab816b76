// Input checks for the hooks: the data plane writes these values into `ip`
// batch lines, so anything malformed must be refused before it gets there
// (a stray space or newline would otherwise become a different command).
import { isIPv4 } from "node:net";
import { DataPlaneError } from "./errors.ts";
import type { DataPlaneEni } from "./types.ts";

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
/** Interface and namespace names we accept: no whitespace or shell/batch metacharacters. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkName(what: string, name: string, max = 255): void {
  if (!NAME.test(name) || name.length > max) {
    throw new DataPlaneError("invalid", `${what} ${JSON.stringify(name)} is not a valid name`);
  }
}

export function checkIp(what: string, ip: string): void {
  if (!isIPv4(ip))
    throw new DataPlaneError("invalid", `${what} ${JSON.stringify(ip)} is not an IPv4 address`);
}

/** "a.b.c.d/n", 0 <= n <= 32. */
export function checkCidr(what: string, cidr: string): number {
  const [addr, len, extra] = cidr.split("/");
  const n = Number(len);
  if (extra !== undefined || !addr || !isIPv4(addr) || !/^\d{1,2}$/.test(len ?? "") || n > 32) {
    throw new DataPlaneError("invalid", `${what} ${JSON.stringify(cidr)} is not an IPv4 CIDR`);
  }
  return n;
}

export function checkEni(eni: DataPlaneEni): void {
  checkName("eniId", eni.eniId, 64);
  checkName("instanceId", eni.instanceId, 64);
  if (!MAC.test(eni.mac))
    throw new DataPlaneError(
      "invalid",
      `ENI ${eni.eniId}: MAC ${JSON.stringify(eni.mac)} is not aa:bb:cc:dd:ee:ff`,
    );
  if (!Number.isInteger(eni.deviceIndex) || eni.deviceIndex < 0 || eni.deviceIndex > 255) {
    throw new DataPlaneError("invalid", `ENI ${eni.eniId}: deviceIndex ${eni.deviceIndex} out of range`);
  }
  checkCidr(`ENI ${eni.eniId}: subnetCidr`, eni.subnetCidr);
  checkIp(`ENI ${eni.eniId}: subnetGateway`, eni.subnetGateway);
  checkIp(`ENI ${eni.eniId}: primaryIp`, eni.primaryIp);
  for (const ip of eni.secondaryIps) checkIp(`ENI ${eni.eniId}: secondary IP`, ip);
  for (const p of eni.prefixes) {
    if (checkCidr(`ENI ${eni.eniId}: prefix`, p) !== 28) {
      throw new DataPlaneError("invalid", `ENI ${eni.eniId}: prefix ${p} is not a /28`);
    }
  }
}
