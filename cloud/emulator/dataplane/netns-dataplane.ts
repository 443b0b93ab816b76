// The emulator's VPC data plane on real Linux interfaces, no tunnel:
//
//   instance netns "node-a"            router netns "<prefix>-vpc"           instance netns "node-b"
//   eth0 (ENI MAC, 10.0.1.10/24) <-veth-> r1 (10.0.1.1/32)   r2 (10.0.2.1/32) <-veth-> eth0 (10.0.2.10/24)
//   eth1 (ENI MAC, bare)         <-veth-> r3 (10.0.1.1/32)
//
// Every ENI is a veth pair: the instance end carries the ENI's MAC and is named
// eth<deviceIndex> (Amazon Linux 2 naming; AL2023 would say ens5+; ipamd must
// find ENIs by MAC anyway, as on AWS). The router end carries the subnet
// gateway as a /32 so the instance resolves its gateway, and proxy ARP (with
// proxy_delay=0) so an instance can also reach same-subnet addresses on-link.
// The "VPC fabric" is the router's main table: the ENI's primary IP is a /32
// route on its router link with a PERMANENT neighbour entry to the ENI's MAC,
// and every secondary IP and /28 prefix is routed "via <primary IP> onlink" on
// the same link: one neighbour entry per ENI delivers all of its addresses to
// its MAC (a /28 needs one route, not sixteen neighbours), and nothing ever
// ARPs for a pod address, exactly as the real VPC never asks the instance.
//
// The internet: a namespace "<prefix>-inet" linked to the router, holding
// INTERNET_ADDRESS (TEST-NET-3). The router acts as an internet gateway for
// instances in a public subnet: only the primary private IP of an instance's
// primary ENI (device index 0, the address a public IP would be mapped to) is
// translated, so only packets from such an address reach the internet
// (`from <primary IP> lookup <IGW table>`); everything else the VPC sends there
// (secondary IPs, prefixes, secondary ENIs' primaries) hits a blackhole route
// in the main table and is dropped silently, as an IGW drops it. Replies come
// back through the main table like any packet for a VPC address. (The real IGW
// rewrites the private address to a public one; here the private address is
// kept, so the internet side sees which address the instance sent from.)
//
// Hooks are serialised (one queue) because they diff against in-memory state;
// each hook issues at most one `ip -batch` per namespace it touches.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DataPlaneError } from "./errors.ts";
import { ipBatch } from "./ip-batch.ts";
import { registerRouter, unregisterRouter } from "./registry.ts";
import type { DataPlane, DataPlaneEni } from "./types.ts";
import { checkCidr, checkEni, checkName } from "./validate.ts";

export interface NetnsDataPlaneOptions {
  /**
   * Run-unique prefix (letters/digits, <= 12 chars). The router namespace is
   * "<prefix>-vpc", the internet's "<prefix>-inet".
   */
  prefix: string;
  /** MTU of the simulated ENIs; AWS ENIs use 9001 (jumbo frames inside the VPC). */
  mtu?: number;
}

export interface EniPlumbing {
  eniId: string;
  instanceId: string;
  netns: string;
  /** Interface name inside the instance namespace. */
  ifName: string;
  /** Interface name inside the router namespace. */
  routerIf: string;
  /** Destinations the router currently sends to this ENI (primary /32 included). */
  routes: string[];
}

/** A host on the internet, behind the router's internet gateway. */
export interface InternetHost {
  /** Its namespace ("<prefix>-inet"). */
  netns: string;
  /** Its address, reachable from instances' primary IPs only. */
  address: string;
  /** The internet as the router routes it (the address's /24). */
  cidr: string;
}

export interface NetnsDataPlane extends DataPlane {
  readonly routerNetns: string;
  readonly internet: InternetHost;
  /** What the data plane built for one ENI (for tests and debugging). */
  plumbingOf(eniId: string): EniPlumbing | undefined;
}

/** Name of an ENI's interface inside the instance namespace. */
export function instanceIfName(deviceIndex: number): string {
  return `eth${deviceIndex}`;
}

const NETNS_DIR = "/var/run/netns";

/** TEST-NET-3 (RFC 5737): never routed on the real internet, so never a real host's. */
export const INTERNET_CIDR = "203.0.113.0/24";
export const INTERNET_ADDRESS = "203.0.113.10";
/** The router's address on its internet link: the internet host's gateway. */
const INTERNET_GATEWAY = "203.0.113.1";
/** Router end of the internet link (ENI links are r<N>). */
const INTERNET_LINK = "rinet";
/** Route table holding the internet route, looked up only for addresses the IGW translates. */
const IGW_TABLE = 100;
const IGW_RULE_PRIORITY = 100;
/** The internet's MTU: jumbo frames stay inside the VPC. */
const INTERNET_MTU = 1500;

/** Router rule that lets `ip` (a primary ENI's primary IP) reach the internet. */
function igwRule(ip: string): string {
  return `pref ${IGW_RULE_PRIORITY} from ${ip}/32 lookup ${IGW_TABLE}`;
}

interface EniState {
  eni: DataPlaneEni;
  netns: string;
  routerIf: string;
  /** Destinations routed "via primary onlink" (secondaries as /32, prefixes as /28). */
  extra: Set<string>;
}

export function createNetnsDataPlane(opts: NetnsDataPlaneOptions): NetnsDataPlane {
  if (!/^[A-Za-z0-9]{1,12}$/.test(opts.prefix)) {
    throw new DataPlaneError("invalid", `prefix ${JSON.stringify(opts.prefix)}: 1-12 letters or digits`);
  }
  const mtu = opts.mtu ?? 9001;
  const router = `${opts.prefix}-vpc`;
  const inet = `${opts.prefix}-inet`;
  const instances = new Map<string, string>(); // instanceId -> netns
  const enis = new Map<string, EniState>();
  let routerReady = false;
  let closed = false;
  let nextLink = 1;
  let queue: Promise<unknown> = Promise.resolve();

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(() => {
      if (closed) throw new DataPlaneError("closed", "the VPC data plane is closed");
      return fn();
    });
    queue = run.catch(() => undefined);
    return run;
  }

  async function ensureRouter(): Promise<void> {
    if (routerReady) return;
    for (const ns of [router, inet]) {
      if (existsSync(`${NETNS_DIR}/${ns}`)) {
        throw new DataPlaneError(
          "not-ours",
          `namespace ${ns} already exists and was not created by this run`,
        );
      }
    }
    execFileSync("ip", ["netns", "add", router], { stdio: ["ignore", "ignore", "pipe"] });
    registerRouter(router);
    routerReady = true;
    execFileSync("ip", ["netns", "add", inet], { stdio: ["ignore", "ignore", "pipe"] });
    registerRouter(inet);
    await ipBatch(router, ["link set lo up"]);
    // conf "default" values are copied into every interface created later, so the router
    // links get proxy_arp=1 without a sysctl per link. neigh/default does not exist outside
    // the initial namespace: proxy_delay is set per link with `ntable change` in the batch.
    execFileSync(
      "ip",
      [
        ...["netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
        ...["net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"],
        "net.ipv4.conf.default.proxy_arp=1",
        // The router hands packets back out of the link they came in on when two ENIs of one
        // subnet talk; a real VPC never sends ICMP redirects.
        ...["net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"],
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    // EC2's source/destination check: an ENI may only send from an address it
    // owns. The router's table routes each owned address to its ENI's link, so
    // a strict reverse-path match is that check: an IP packet whose source is
    // not routed back through the link it came in on is dropped (a pod whose
    // replies leave through the wrong ENI gets no answers, as on AWS). Not the
    // rp_filter sysctl: that would also drop the ARP requests a bare secondary
    // ENI sends with the instance's primary address as sender.
    const sourceCheck = ["-t", "raw", "-A", "PREROUTING", "-m", "rpfilter", "--invert", "-j", "DROP"];
    execFileSync("ip", ["netns", "exec", router, "iptables", ...sourceCheck], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    await buildInternet();
  }

  /** The internet namespace and the router's internet gateway (see the top of this file). */
  async function buildInternet(): Promise<void> {
    await ipBatch(router, [
      `link add ${INTERNET_LINK} mtu ${INTERNET_MTU} type veth peer name eth0 mtu ${INTERNET_MTU} netns ${inet}`,
      `link set ${INTERNET_LINK} up`,
      `addr replace ${INTERNET_GATEWAY}/32 dev ${INTERNET_LINK}`,
      `route replace ${INTERNET_CIDR} dev ${INTERNET_LINK} table ${IGW_TABLE}`,
      // The router itself (locally generated packets) reaches the internet too.
      `rule add pref ${IGW_RULE_PRIORITY} iif lo lookup ${IGW_TABLE}`,
      // Every other source: dropped without an answer, as an IGW drops what it cannot translate.
      `route replace blackhole ${INTERNET_CIDR}`,
    ]);
    await ipBatch(inet, [
      "link set lo up",
      "link set eth0 up",
      `addr replace ${INTERNET_ADDRESS}/32 dev eth0`,
      `route replace ${INTERNET_GATEWAY}/32 dev eth0 scope link`,
      `route replace default via ${INTERNET_GATEWAY} dev eth0`,
    ]);
  }

  function desiredExtra(eni: DataPlaneEni): Set<string> {
    return new Set([...eni.secondaryIps.map((ip) => `${ip}/32`), ...eni.prefixes]);
  }

  /** Router lines that bring `st.extra` to what `eni` owns now. Returns [adds, deletes]. */
  function routeDiff(st: EniState, eni: DataPlaneEni): [string[], string[]] {
    const want = desiredExtra(eni);
    const adds: string[] = [];
    const dels: string[] = [];
    for (const d of want) {
      if (!st.extra.has(d)) adds.push(`route replace ${d} via ${eni.primaryIp} dev ${st.routerIf} onlink`);
    }
    for (const d of st.extra) if (!want.has(d)) dels.push(`route del ${d} dev ${st.routerIf}`);
    st.extra = want;
    st.eni = eni;
    return [adds, dels];
  }

  /** Creates the veth pair, gateway, primary route and neighbour for ENIs not plumbed yet; diffs the rest. */
  async function plumb(netns: string, list: DataPlaneEni[]): Promise<void> {
    await ensureRouter();
    const routerLines: string[] = [];
    const routerDels: string[] = [];
    const instLines: string[] = [];
    const fresh: EniState[] = [];
    for (const eni of [...list].sort((a, b) => a.deviceIndex - b.deviceIndex)) {
      const known = enis.get(eni.eniId);
      if (known) {
        const [adds, dels] = routeDiff(known, eni);
        routerLines.push(...adds);
        routerDels.push(...dels);
        continue;
      }
      const st: EniState = { eni, netns, routerIf: `r${nextLink++}`, extra: new Set() };
      const ifName = instanceIfName(eni.deviceIndex);
      const prefixLen = checkCidr("subnetCidr", eni.subnetCidr);
      const r = st.routerIf;
      routerLines.push(
        `link add ${r} mtu ${mtu} type veth peer name ${ifName} address ${eni.mac.toLowerCase()} mtu ${mtu} netns ${netns}`,
        // Proxy-ARP answers are otherwise delayed up to 0.8 s (PLATFORM.md).
        `ntable change name arp_cache dev ${r} proxy_delay 0`,
        `link set ${r} up`,
        `addr replace ${eni.subnetGateway}/32 dev ${r}`,
        `route replace ${eni.primaryIp}/32 dev ${r}`,
        `neigh replace ${eni.primaryIp} lladdr ${eni.mac.toLowerCase()} dev ${r} nud permanent`,
      );
      routerLines.push(...routeDiff(st, eni)[0]);
      if (eni.deviceIndex === 0) {
        // The internet gateway translates the primary ENI's primary IP (its public IP's mapping).
        routerLines.push(`rule add ${igwRule(eni.primaryIp)}`);
        // What cloud-init/DHCP does on the primary ENI; secondary ENIs stay bare for ipamd.
        instLines.push(
          `link set ${ifName} up`,
          `addr replace ${eni.primaryIp}/${prefixLen} dev ${ifName}`,
          `route replace default via ${eni.subnetGateway} dev ${ifName}`,
        );
      }
      fresh.push(st);
    }
    try {
      await ipBatch(router, routerLines);
    } catch (e) {
      // Half-built links of this call must not linger: deleting the router end deletes the peer.
      await ipBatch(
        router,
        fresh.flatMap((s) => [
          `link del ${s.routerIf}`,
          ...(s.eni.deviceIndex === 0 ? [`rule del ${igwRule(s.eni.primaryIp)}`] : []),
        ]),
        { force: true },
      );
      throw e;
    }
    for (const st of fresh) enis.set(st.eni.eniId, st);
    await ipBatch(router, routerDels, { force: true });
    await ipBatch(netns, instLines);
  }

  return {
    routerNetns: router,
    internet: { netns: inet, address: INTERNET_ADDRESS, cidr: INTERNET_CIDR },

    plumbingOf(eniId) {
      const st = enis.get(eniId);
      if (!st) return undefined;
      return {
        eniId,
        instanceId: st.eni.instanceId,
        netns: st.netns,
        ifName: instanceIfName(st.eni.deviceIndex),
        routerIf: st.routerIf,
        routes: [`${st.eni.primaryIp}/32`, ...st.extra],
      };
    },

    bindInstance(instanceId, netnsName, list) {
      return serial(async () => {
        checkName("instanceId", instanceId, 64);
        checkName("netns", netnsName, 200);
        for (const eni of list) {
          checkEni(eni);
          if (eni.instanceId !== instanceId) {
            throw new DataPlaneError(
              "invalid",
              `ENI ${eni.eniId} belongs to ${eni.instanceId}, not ${instanceId}`,
            );
          }
        }
        if (netnsName === router)
          throw new DataPlaneError("invalid", "cannot bind an instance to the router");
        if (!existsSync(`${NETNS_DIR}/${netnsName}`)) {
          throw new DataPlaneError("no-netns", `network namespace ${netnsName} does not exist`);
        }
        const bound = instances.get(instanceId);
        if (bound !== undefined && bound !== netnsName) {
          throw new DataPlaneError("invalid", `instance ${instanceId} is already bound to ${bound}`);
        }
        instances.set(instanceId, netnsName);
        await plumb(netnsName, list);
      });
    },

    eniAttached(eni) {
      return serial(async () => {
        checkEni(eni);
        const netns = instances.get(eni.instanceId);
        // An instance without a namespace has no data plane (emulator-only tests): nothing to mirror.
        // bindInstance receives every attached ENI, so nothing is lost if it is bound later.
        if (netns === undefined) return;
        await plumb(netns, [eni]);
      });
    },

    eniDetached(eniId) {
      return serial(async () => {
        const st = enis.get(eniId);
        if (!st) return; // never plumbed, or already detached: idempotent
        enis.delete(eniId);
        // Deleting the router end deletes the instance end and every route/neighbour on the link.
        await ipBatch(
          router,
          [
            `link del ${st.routerIf}`,
            ...(st.eni.deviceIndex === 0 ? [`rule del ${igwRule(st.eni.primaryIp)}`] : []),
          ],
          { force: true },
        );
      });
    },

    addressesChanged(eni) {
      return serial(async () => {
        checkEni(eni);
        const st = enis.get(eni.eniId);
        if (!st) return; // not attached to a bound instance: the router has nothing to deliver
        const [adds, dels] = routeDiff(st, eni);
        await ipBatch(router, adds);
        await ipBatch(router, dels, { force: true });
      });
    },

    async close() {
      if (closed) return;
      await queue;
      closed = true;
      if (!routerReady) return;
      // Delete the links first: namespace teardown is asynchronous and would leave the
      // instance-side ends visible for a second or two.
      await ipBatch(
        router,
        [...[...enis.values()].map((s) => `link del ${s.routerIf}`), `link del ${INTERNET_LINK}`],
        { force: true },
      );
      enis.clear();
      instances.clear();
      for (const ns of [router, inet]) {
        try {
          execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
        } catch {
          // already gone
        }
        unregisterRouter(ns);
      }
    },
  };
}
