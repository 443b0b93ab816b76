// ipamd's AddResult -> the CNI result in the configured version, and the few
// things the plugin reads back from a prevResult.
//
// Chaining: portmap reads ips[].address; bandwidth finds the host veth as the
// interface WITHOUT "sandbox" whose name is the peer of CNI_IFNAME; tuning
// finds the pod interface by name with "sandbox". So interfaces[0] is the host
// veth (no sandbox), interfaces[1] the pod interface, and the IP points at 1.
import type { AddResult } from "../ipamd/api/protocol.ts";
import { type CniVersion, hasInterfaceMtu, hasIpVersionField } from "./version.ts";

export interface CniInterface {
  name: string;
  mac: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniIp {
  version?: "4";
  address: string;
  gateway: string;
  interface: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniResult {
  cniVersion: CniVersion;
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: Record<string, never>;
}

export function toCniResult(r: AddResult, version: CniVersion): CniResult {
  const host: CniInterface = { name: r.hostInterface.name, mac: r.hostInterface.mac };
  const pod: CniInterface = { name: r.podInterface.name, mac: r.podInterface.mac };
  if (hasInterfaceMtu(version)) {
    host.mtu = r.mtu;
    pod.mtu = r.mtu;
  }
  pod.sandbox = r.podInterface.sandbox;
  const ip: CniIp = { address: `${r.ip}/32`, gateway: r.podGateway, interface: 1 };
  const ips = [hasIpVersionField(version) ? { version: "4" as const, ...ip } : ip];
  return {
    cniVersion: version,
    interfaces: [host, pod],
    ips,
    // The pod reaches everything through the link-local next hop on its /32 (as in the AWS VPC CNI).
    routes: [{ dst: "0.0.0.0/0", gw: r.podGateway }],
    dns: {},
  };
}

/** What DEL and CHECK need from a prevResult. Read leniently: any version's shape will do. */
export interface PrevInfo {
  /** Host-side interfaces (no sandbox): the veth DEL may have to remove itself. */
  hostInterfaces: string[];
  /** First IPv4 address, without prefix length. */
  ip?: string;
}

export function readPrevResult(prev: Record<string, unknown> | undefined): PrevInfo {
  const info: PrevInfo = { hostInterfaces: [] };
  if (!prev) return info;
  const ifs = prev["interfaces"];
  if (Array.isArray(ifs)) {
    for (const i of ifs) {
      if (typeof i !== "object" || i === null) continue;
      const { name, sandbox } = i as { name?: unknown; sandbox?: unknown };
      if (typeof name === "string" && (sandbox === undefined || sandbox === ""))
        info.hostInterfaces.push(name);
    }
  }
  const ips = prev["ips"];
  if (Array.isArray(ips)) {
    for (const a of ips) {
      const addr = typeof a === "object" && a !== null ? (a as { address?: unknown }).address : undefined;
      // ipamd's CHECK takes an IPv4 address; skip anything else a later plugin may have added.
      if (typeof addr === "string" && /^\d{1,3}(\.\d{1,3}){3}(\/\d+)?$/.test(addr)) {
        info.ip = addr.split("/")[0]!;
        break;
      }
    }
  }
  return info;
}
