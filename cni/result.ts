// ipamd's AddResult -> the CNI result in the configured version, and the few
// things the plugin reads back from a prevResult.
//
// Chaining: portmap reads ips[].address; bandwidth finds the host veth as the
// interface WITHOUT "sandbox" whose name is the peer of CNI_IFNAME; tuning
// finds the pod interface by name with "sandbox". So our host veth (no
// sandbox) comes before our pod interface, and our IP points at the latter.
// As the first plugin of a list (the usual place) ours are interfaces 0 and 1;
// after another plugin, its prevResult is kept and ours are appended (spec:
// a plugin given a prevResult must pass it through or modify it).
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

/** An entry of an earlier plugin's result, passed through as it came. */
export type Passed = Record<string, unknown>;

export interface CniResult {
  cniVersion: CniVersion;
  interfaces: (CniInterface | Passed)[];
  ips: (CniIp | Passed)[];
  routes: (CniRoute | Passed)[];
  dns: Passed;
}

/** Our ADD result, appended to `prev` (an earlier plugin's result in the same version) when there is one. */
export function toCniResult(r: AddResult, version: CniVersion, prev?: Record<string, unknown>): CniResult {
  const ours = ownResult(r, version);
  if (prev === undefined) return ours;
  const list = (k: string): Passed[] => {
    const v = prev[k];
    return Array.isArray(v) ? v.filter((x): x is Passed => typeof x === "object" && x !== null) : [];
  };
  const interfaces = list("interfaces");
  const shift = interfaces.length;
  const dns = prev["dns"];
  return {
    cniVersion: version,
    interfaces: [...interfaces, ...ours.interfaces],
    ips: [...list("ips"), ...(ours.ips as CniIp[]).map((ip) => ({ ...ip, interface: ip.interface + shift }))],
    routes: [...list("routes"), ...ours.routes],
    dns: typeof dns === "object" && dns !== null && !Array.isArray(dns) ? (dns as Passed) : {},
  };
}

function ownResult(r: AddResult, version: CniVersion): CniResult {
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

export function readPrevResult(prev: Record<string, unknown> | undefined, ifName?: string): PrevInfo {
  const info: PrevInfo = { hostInterfaces: [] };
  if (!prev) return info;
  const ifs = prev["interfaces"];
  /** Index of the pod interface CNI_IFNAME (with a sandbox): our IP points at it. */
  let podIndex: number | undefined;
  if (Array.isArray(ifs)) {
    ifs.forEach((i, idx) => {
      if (typeof i !== "object" || i === null) return;
      const { name, sandbox } = i as { name?: unknown; sandbox?: unknown };
      if (typeof name !== "string") return;
      if (sandbox === undefined || sandbox === "") info.hostInterfaces.push(name);
      else if (name === ifName && podIndex === undefined) podIndex = idx;
    });
  }
  const ips = prev["ips"];
  if (Array.isArray(ips)) {
    let first: string | undefined;
    for (const a of ips) {
      if (typeof a !== "object" || a === null) continue;
      const { address, interface: at } = a as { address?: unknown; interface?: unknown };
      // ipamd's CHECK takes an IPv4 address; skip anything else a later plugin may have added.
      if (typeof address !== "string" || !/^\d{1,3}(\.\d{1,3}){3}(\/\d+)?$/.test(address)) continue;
      const ip = address.split("/")[0]!;
      first ??= ip;
      // With an earlier plugin before us, its addresses come first: take the one on our interface.
      if (podIndex !== undefined && at === podIndex) {
        info.ip = ip;
        return info;
      }
    }
    info.ip = first;
  }
  return info;
}
