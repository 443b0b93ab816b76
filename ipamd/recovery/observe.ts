// What the instance really has, from two sources that lag each other by
// seconds: IMDS (this instance's view) and EC2 (DescribeNetworkInterfaces).
//  - `pool`: addresses BOTH agree on. Only these are handed to pods, so an
//    address EC2 is still taking away (or has not finished giving) is never used.
//  - `owned`: addresses EITHER shows. An assignment is dropped only when its
//    address is in neither, i.e. truly gone; otherwise it is kept.
// Pure function over the two answers, plus a thin fetch wrapper.
import type { Ec2Api, NetworkInterface } from "../../cloud/ec2/types.ts";
import type { ImdsApi, ImdsEni } from "../../cloud/imds/types.ts";
import type { ObservedEni } from "../datastore/types.ts";
import { TAG_CREATED_AT } from "../executor/tags.ts";

/** The AWS VPC CNI's opt-out tag: ENIs carrying it are never used for pods. */
export const TAG_NO_MANAGE = "node.k8s.amazonaws.com/no_manage";

export interface Observation {
  pool: ObservedEni[];
  /** Every address either source shows on this instance's managed ENIs. */
  owned: Set<string>;
  /** ENIs IMDS lists that EC2 does not show attached here (lag), or unmanaged ones, with why. */
  skipped: { eniId: string; why: string }[];
  /** EC2's view was unavailable: the pool is IMDS's view alone. */
  imdsOnly: boolean;
  /** ENIs tagged no_manage=true (EC2's view; none known when imdsOnly). */
  unmanaged?: string[];
  /**
   * Device indexes on network card 0 of attached ENIs not in `pool` (tagged
   * no_manage, or not yet / no longer seen by both sources), ascending: they
   * count against the ENI limit and a new ENI must not take them (the
   * planner's reservedDeviceIndexes).
   */
  reservedDeviceIndexes?: number[];
}

/**
 * Device indexes on network card 0 that IMDS shows taken by ENIs other than
 * `poolEniIds`, ascending. At start-up: IMDS's ENIs and the datastore's ENIs
 * after recovery give the planner's reservedDeviceIndexes before any resync.
 */
export function reservedDeviceIndexes(
  imdsEnis: readonly Pick<ImdsEni, "interfaceId" | "deviceNumber" | "networkCard">[],
  poolEniIds: Iterable<string>,
): number[] {
  const pool = new Set(poolEniIds);
  const out = new Set<number>();
  for (const m of imdsEnis) if (m.networkCard === 0 && !pool.has(m.interfaceId)) out.add(m.deviceNumber);
  return [...out].sort((a, b) => a - b);
}

function attachedAt(e: NetworkInterface | undefined, nowMs: number): number {
  const t = e?.tags[TAG_CREATED_AT];
  const ms = t === undefined ? Number.NaN : Date.parse(t);
  // ENI age damps scale-down; "now" is the conservative guess when unknown.
  return Number.isFinite(ms) && ms <= nowMs ? ms : nowMs;
}

export function combineViews(
  imdsEnis: readonly ImdsEni[],
  ec2Enis: readonly NetworkInterface[] | undefined,
  nowMs: number,
): Observation {
  const byId = new Map((ec2Enis ?? []).map((e) => [e.id, e]));
  const out: Observation = {
    pool: [],
    owned: new Set(),
    skipped: [],
    imdsOnly: ec2Enis === undefined,
    unmanaged: [],
  };
  for (const m of imdsEnis) {
    if (m.networkCard !== 0) {
      out.skipped.push({ eniId: m.interfaceId, why: `network card ${m.networkCard} (ipamd uses card 0)` });
      continue;
    }
    const e = byId.get(m.interfaceId);
    if (e?.tags[TAG_NO_MANAGE] === "true") {
      out.skipped.push({ eniId: m.interfaceId, why: `tagged ${TAG_NO_MANAGE}=true` });
      out.unmanaged?.push(m.interfaceId);
      continue;
    }
    const [primaryIp, ...imdsIps] = m.localIpv4s;
    if (primaryIp === undefined) {
      out.skipped.push({ eniId: m.interfaceId, why: "IMDS lists no address yet" });
      continue;
    }
    for (const ip of imdsIps) out.owned.add(ip);
    for (const p of m.ipv4Prefixes) out.owned.add(p);
    let ips = imdsIps;
    let prefixes = m.ipv4Prefixes;
    if (ec2Enis !== undefined) {
      if (e === undefined) {
        out.skipped.push({
          eniId: m.interfaceId,
          why: "EC2 does not show it attached to this instance (detaching?)",
        });
        continue;
      }
      for (const ip of e.secondaryIps) out.owned.add(ip);
      for (const p of e.prefixes) out.owned.add(p);
      const ec2Ips = new Set(e.secondaryIps);
      const ec2Prefixes = new Set(e.prefixes);
      ips = imdsIps.filter((ip) => ec2Ips.has(ip));
      prefixes = m.ipv4Prefixes.filter((p) => ec2Prefixes.has(p));
    }
    out.pool.push({
      id: m.interfaceId,
      mac: m.mac,
      deviceIndex: m.deviceNumber,
      primary: m.deviceNumber === 0,
      subnetId: m.subnetId,
      subnetCidr: m.subnetCidr,
      primaryIp,
      attachedAtMs: attachedAt(e, nowMs),
      ips,
      prefixes,
    });
  }
  out.pool.sort((a, b) => a.deviceIndex - b.deviceIndex);
  out.reservedDeviceIndexes = reservedDeviceIndexes(
    imdsEnis,
    out.pool.map((e) => e.id),
  );
  return out;
}

/**
 * Without EC2's view (imdsOnly) the no_manage tags are unknown, and an
 * unmanaged ENI would look like one of ours: its addresses would go to pods.
 * Drops the ENIs `known` (from an earlier view with EC2) to be unmanaged
 * from the pool and from `owned`, and reserves their device indexes. Pure;
 * returns `obs` itself when there is nothing to drop.
 */
export function dropKnownUnmanaged(obs: Observation, known: ReadonlySet<string>): Observation {
  if (!obs.imdsOnly || known.size === 0) return obs;
  const drop = obs.pool.filter((e) => known.has(e.id));
  if (drop.length === 0) return obs;
  const owned = new Set(obs.owned);
  for (const e of drop) for (const a of [...e.ips, ...e.prefixes]) owned.delete(a);
  const reserved = new Set([...(obs.reservedDeviceIndexes ?? []), ...drop.map((e) => e.deviceIndex)]);
  return {
    ...obs,
    pool: obs.pool.filter((e) => !known.has(e.id)),
    owned,
    skipped: [
      ...obs.skipped,
      ...drop.map((e) => ({ eniId: e.id, why: `tagged ${TAG_NO_MANAGE}=true when EC2 last answered` })),
    ],
    unmanaged: [...(obs.unmanaged ?? []), ...drop.map((e) => e.id)],
    reservedDeviceIndexes: [...reserved].sort((a, b) => a - b),
  };
}

/** Reads both sources. EC2 failing is tolerated (IMDS alone); IMDS failing is not. */
export async function observe(
  imds: ImdsApi,
  ec2: Ec2Api,
  instanceId: string,
  nowMs: number,
): Promise<Observation & { ec2Error?: Error }> {
  const imdsEnis = await imds.enis();
  try {
    const ec2Enis = await ec2.describeNetworkInterfaces({ instanceId });
    return combineViews(imdsEnis, ec2Enis, nowMs);
  } catch (e) {
    return { ...combineViews(imdsEnis, undefined, nowMs), ec2Error: e as Error };
  }
}

/** Is `ip` (a pod address) covered by an owned secondary IP or /28 prefix? */
export function ownsAddress(owned: ReadonlySet<string>, ip: string): boolean {
  if (owned.has(ip)) return true;
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4) return false;
  const last = parts[3]!;
  return owned.has(`${parts[0]}.${parts[1]}.${parts[2]}.${last - (last % 16)}/28`);
}
