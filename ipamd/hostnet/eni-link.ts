// Secondary ENIs on the host: find the interface by MAC (it appears some time
// after AttachNetworkInterface), bring it up, and give it its own route table
// (deviceNumber + 1) plus `from <ENI primary IP> lookup <table>`, so traffic
// sourced from this ENI's addresses leaves through it (VPC anti-spoofing
// drops it on any other ENI). All idempotent: routes use NLM_F_REPLACE, rules
// NLM_F_EXCL (an existing identical rule is kept, never duplicated).
import { parseCidr, parseIpv4, parseMac } from "./addr.ts";
import type { HostNamespace } from "./host-ns.ts";
import type { LinkInfo, RouteSpec, Rtnl, RuleSpec } from "./rtnl.ts";
import { FROM_POD_RULE_PRIORITY, validateTable } from "./spec.ts";
import { type EniLinkSpec, HostnetError } from "./types.ts";

/** Same preference as pods' from-rules: the ENI's own IP is just another address it owns. */
export const ENI_RULE_PRIORITY = FROM_POD_RULE_PRIORITY;

export function eniTable(deviceNumber: number): number {
  return deviceNumber + 1;
}

function validateEni(spec: EniLinkSpec): void {
  parseMac(spec.mac);
  parseIpv4(spec.primaryIp);
  parseIpv4(spec.subnetGateway);
  parseCidr(spec.subnetCidr);
  if (!Number.isInteger(spec.deviceNumber) || spec.deviceNumber < 1) {
    // Device 0 is the primary ENI: it uses the main table and needs none of this.
    throw new HostnetError("invalid", `deviceNumber must be >= 1, got ${spec.deviceNumber}`, "EINVAL");
  }
  validateTable(eniTable(spec.deviceNumber));
  if (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535) {
    throw new HostnetError("invalid", `invalid mtu ${spec.mtu}`, "EINVAL");
  }
}

/** Polls the link list (one netlink dump per try) until an interface with `mac` shows up. */
export async function waitForLinkByMac(
  host: Rtnl,
  mac: string,
  timeoutMs: number,
  intervalMs = 50,
): Promise<LinkInfo> {
  parseMac(mac);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const link = await host.linkByMac(mac);
    if (link) return link;
    if (Date.now() >= deadline) {
      throw new HostnetError("netlink", `no interface with MAC ${mac} after ${timeoutMs} ms`, "ENODEV");
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function eniRoutes(spec: EniLinkSpec, index: number): RouteSpec[] {
  const table = eniTable(spec.deviceNumber);
  const subnet = parseCidr(spec.subnetCidr).text;
  return [
    { dst: subnet, oif: index, table, scope: "link" },
    { dst: "0.0.0.0/0", oif: index, table, gateway: spec.subnetGateway },
  ];
}

function eniRule(spec: EniLinkSpec): RuleSpec {
  return { priority: ENI_RULE_PRIORITY, table: eniTable(spec.deviceNumber), src: `${spec.primaryIp}/32` };
}

export interface EniSetupResult {
  ifName: string;
  index: number;
  table: number;
}

export async function setupEni(
  ns: HostNamespace,
  spec: EniLinkSpec,
  waitMs = 10_000,
): Promise<EniSetupResult> {
  validateEni(spec);
  const host = ns.rtnl;
  const link = await waitForLinkByMac(host, spec.mac, waitMs);
  await host.setLink(link.index, { mtu: spec.mtu, up: true });
  // Loose reverse-path filtering: replies to pods arrive on this ENI while the
  // main table would route their source out of the primary one.
  ns.sysctl(`net/ipv4/conf/${link.name}/rp_filter`, "2");
  for (const r of eniRoutes(spec, link.index)) await host.addRoute(r, true);
  await host.addRule(eniRule(spec));
  return { ifName: link.name, index: link.index, table: eniTable(spec.deviceNumber) };
}

/** Removes the rule and the table's routes; leaves the interface itself alone. Idempotent. */
export async function teardownEni(ns: HostNamespace, spec: EniLinkSpec): Promise<void> {
  validateEni(spec);
  const host = ns.rtnl;
  for (let i = 0; i < 16 && (await host.deleteRule(eniRule(spec))); i++);
  const link = await host.linkByMac(spec.mac);
  if (!link) return;
  for (const r of eniRoutes(spec, link.index).reverse()) await host.deleteRoute(r);
}
