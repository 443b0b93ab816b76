// Small helpers shared by the data-plane integration tests.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { DataPlaneEni } from "../../../cloud/emulator/dataplane/types.ts";
import { ipJson } from "../../support/netns.ts";

/** A run-unique data-plane prefix (letters/digits only). */
export function runPrefix(): string {
  return `vt${randomBytes(3).toString("hex")}`;
}

export function eni(
  init: Partial<DataPlaneEni> & Pick<DataPlaneEni, "eniId" | "instanceId" | "primaryIp">,
): DataPlaneEni {
  const third = init.primaryIp.split(".")[2];
  return {
    mac: `02:00:0a:00:${Number(third).toString(16).padStart(2, "0")}:${randomBytes(1).toString("hex")}`,
    deviceIndex: 0,
    subnetId: `subnet-${third}`,
    subnetCidr: `10.0.${third}.0/24`,
    subnetGateway: `10.0.${third}.1`,
    secondaryIps: [],
    prefixes: [],
    ...init,
  };
}

/** Packet loss in percent of `ping -c count` from inside `netns`; throws when ping could not run at all. */
export function pingLoss(netns: string, to: string, opts: { from?: string; count?: number } = {}): number {
  const args = [
    "netns",
    "exec",
    netns,
    "ping",
    "-n",
    "-q",
    "-c",
    String(opts.count ?? 3),
    "-i",
    "0.2",
    "-W",
    "1",
  ];
  if (opts.from) args.push("-I", opts.from);
  const r = spawnSync("ip", [...args, to], { encoding: "utf8" });
  const m = /(\d+(?:\.\d+)?)% packet loss/.exec(r.stdout);
  if (!m)
    throw new Error(
      `ping ${to} in ${netns} did not run (exit ${r.status}): ${r.stderr} (needs iputils-ping)`,
    );
  return Number(m[1]);
}

export interface LinkJson {
  ifname: string;
  address?: string;
  operstate?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  stats64?: { rx?: { packets?: number } };
}

export function links(netns: string): LinkJson[] {
  return ipJson<LinkJson[]>(["-d", "-s", "link", "show"], netns);
}

export function addrs(netns: string, ifname: string): string[] {
  const j = ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(
    ["addr", "show", "dev", ifname],
    netns,
  );
  return (j[0]?.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

export function routes(netns: string): string[] {
  return ipJson<{ dst: string }[]>(["route", "show"], netns).map((r) => r.dst);
}

export function netnsExists(name: string): boolean {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .some((l) => l.split(" ")[0] === name);
}
