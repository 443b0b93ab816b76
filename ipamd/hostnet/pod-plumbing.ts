// Per-pod plumbing done by ipamd with in-process netlink (no `ip` spawns):
//   pod ns:  <ifName> podIp/32 up, 169.254.1.1 dev <ifName> scope link,
//            default via 169.254.1.1, permanent neighbour 169.254.1.1 -> host veth MAC
//   host ns: <hostVeth> up, podIp/32 dev <hostVeth> scope link (main),
//            rule to podIp lookup main pref 512, [rule from podIp lookup <eniTable> pref 1536]
// ADD is all-or-nothing: every step that creates something pushes its undo,
// and any failure runs the undos (newest first) before the error is thrown.
import { randomBytes } from "node:crypto";
import { formatMac } from "./addr.ts";
import { isExists, toHostnetError } from "./errors.ts";
import { HostNamespace } from "./host-ns.ts";
import { type NetnsHandle, openPodNetns, openRtnlIn } from "./netns.ts";
import { checkPod } from "./pod-check.ts";
import { delPod } from "./pod-del.ts";
import { type CreatedVeth, RT_TABLE_MAIN, type Rtnl } from "./rtnl.ts";
import { fromRules, POD_GATEWAY, TO_POD_RULE_PRIORITY, validatePodSpec } from "./spec.ts";
import {
  type CheckProblem,
  HostnetError,
  type PodLinks,
  type PodNetworkSpec,
  type PodPlumbing,
} from "./types.ts";
import { VethReaper } from "./veth-reaper.ts";

/** The ADD steps in order; a test can fail any of them through `beforeStep`. */
export const ADD_STEPS = [
  "open-netns",
  "check-absent",
  "remove-stale-host-veth",
  "create-veth",
  "pod-link-up",
  "pod-address",
  "pod-gateway-route",
  "pod-default-route",
  "pod-neighbour",
  "host-route",
  "to-rule",
  "from-rule",
] as const;
export type AddStep = (typeof ADD_STEPS)[number];

export interface PodPlumbingOptions {
  /** Namespace acting as the node. Default: the namespace this process runs in (ipamd is hostNetwork). */
  hostNetnsPath?: string;
  /** Called before each ADD step (observability, fault injection). Throwing aborts ADD and rolls back. */
  beforeStep?: (step: AddStep, spec: PodNetworkSpec) => void | Promise<void>;
  /** The background veth deleter's program (tests); default `ip -force -batch -`. */
  reaperCommand?: string[];
}

export class NetlinkPodPlumbing implements PodPlumbing {
  readonly #host: HostNamespace;
  readonly #beforeStep: PodPlumbingOptions["beforeStep"];
  readonly #reaper: VethReaper;

  constructor(opts: PodPlumbingOptions = {}) {
    this.#host = new HostNamespace(opts.hostNetnsPath);
    this.#beforeStep = opts.beforeStep;
    this.#reaper = new VethReaper(() => this.#host.rtnl, {
      ...(opts.hostNetnsPath === undefined ? {} : { hostNetnsPath: opts.hostNetnsPath }),
      ...(opts.reaperCommand === undefined ? {} : { command: opts.reaperCommand }),
    });
  }

  /** Waits until every host veth DEL retired is deleted (shutdown; tests). */
  drain(): Promise<void> {
    return this.#reaper.drain();
  }

  close(): void {
    this.#reaper.close();
    this.#host.close();
  }

  checkNamespace(netnsPath: string): void {
    openPodNetns(netnsPath).close();
  }

  async add(spec: PodNetworkSpec): Promise<PodLinks> {
    validatePodSpec(spec);
    const host = this.#host.rtnl;
    const undo: (() => Promise<unknown>)[] = [];
    /** Requests sent but maybe not answered: undo waits for them, so it sees everything they made. */
    const sent: Promise<unknown>[] = [];
    let pod: NetnsHandle | undefined;
    let podNl: Rtnl | undefined;
    const step = async (s: AddStep) => this.#beforeStep?.(s, spec);
    const ip32 = `${spec.podIp}/32`;
    try {
      await step("open-netns");
      pod = openPodNetns(spec.netnsPath);
      podNl = openRtnlIn(pod.fd);

      // The create is tried first: in the common case nothing is in the way,
      // an EEXIST (either name taken) runs #clearWay's checks
      // and one retry, instead of every ADD paying two netlink round trips.
      await step("check-absent");
      await step("remove-stale-host-veth");
      await step("create-veth");
      // The host end is created up, the pod end with a MAC of our choosing,
      // so with the kernel's echo of the host end nothing needs looking up.
      const podMac = randomMac();
      const peer = { name: spec.ifName, mtu: spec.mtu, netnsFd: pod.fd, mac: podMac };
      let created: CreatedVeth | undefined;
      try {
        created = await host.createVeth(spec.hostVethName, spec.mtu, peer);
      } catch (err) {
        if (!isExists(err)) throw err;
        await this.#clearWay(spec, podNl);
        created = await host.createVeth(spec.hostVethName, spec.mtu, peer);
      }
      // Deleting one end deletes both, and with them every pod-side address,
      // route and neighbour: one undo covers the pod side.
      undo.push(() => host.deleteLinkByName(spec.hostVethName));
      const links = created
        ? { host: { index: created.index, mac: created.mac }, pod: { index: created.peerIndex, mac: podMac } }
        : await lookUpVeth(host, podNl, spec);

      // Everything left is ACK-only: the requests go out back to back on the
      // two sockets (Rtnl pipelines them; each socket's kernel side handles
      // them in order, so the link is up before its routes and the gateway
      // route exists before the default route that uses it) and the answers are awaited together.
      const hostRoute = { dst: ip32, oif: links.host.index, scope: "link" as const, table: RT_TABLE_MAIN };
      const toRule = { priority: TO_POD_RULE_PRIORITY, table: RT_TABLE_MAIN, dst: ip32 };
      const podIndex = links.pod.index;
      await step("pod-link-up");
      sent.push(podNl.setLink(podIndex, { up: true }));
      await step("pod-address");
      sent.push(podNl.addAddress(podIndex, spec.podIp, 32));
      await step("pod-gateway-route");
      sent.push(podNl.addRoute({ dst: `${POD_GATEWAY}/32`, oif: podIndex, scope: "link" }));
      await step("pod-default-route");
      sent.push(podNl.addRoute({ dst: "0.0.0.0/0", oif: podIndex, gateway: POD_GATEWAY }));
      await step("pod-neighbour");
      sent.push(podNl.setPermanentNeighbour(podIndex, POD_GATEWAY, links.host.mac));
      await step("host-route");
      sent.push(host.addRoute(hostRoute, true).then(() => undo.push(() => host.deleteRoute(hostRoute))));
      await step("to-rule");
      sent.push(host.addRule(toRule).then((added) => added && undo.push(() => host.deleteRule(toRule))));
      await step("from-rule");
      for (const fromRule of fromRules(spec)) {
        sent.push(
          host.addRule(fromRule).then((added) => added && undo.push(() => host.deleteRule(fromRule))),
        );
      }
      await allOrFirstError(sent);
      return {
        hostInterface: { name: spec.hostVethName, mac: links.host.mac },
        podInterface: { name: spec.ifName, mac: links.pod.mac, sandbox: spec.netnsPath },
      };
    } catch (err) {
      await Promise.allSettled(sent);
      for (const u of undo.reverse()) {
        try {
          await u();
        } catch {
          // Best effort: keep undoing the rest; the original error is what matters.
        }
      }
      throw toHostnetError(err, `ADD ${spec.hostVethName}`);
    } finally {
      podNl?.close();
      pod?.close();
    }
  }

  /** After a create's EEXIST: reclaim our own half-deleted pair, or refuse a foreign interface. */
  async #clearWay(spec: PodNetworkSpec, podNl: Rtnl): Promise<void> {
    // An earlier DEL in this same namespace may have answered before the
    // kernel deleted its pair (veth-reaper.ts): then that pair goes now.
    if (await podNl.linkByName(spec.ifName)) {
      const reclaimed = await this.#reaper.reclaim(spec.netnsPath, spec.ifName);
      if (!reclaimed || (await podNl.linkByName(spec.ifName))) {
        throw new HostnetError("exists", `${spec.ifName} already exists in ${spec.netnsPath}`, "EEXIST");
      }
    }
    // A host veth with our stable name but no pod side is a leftover of an
    // earlier sandbox of the same pod (its netns went away without DEL).
    await this.#host.rtnl.deleteLinkByName(spec.hostVethName);
  }

  async del(spec: PodNetworkSpec): Promise<void> {
    validatePodSpec(spec);
    // The host veth is retired (down, renamed, deleted in the background):
    // its kernel delete takes 10-150 ms and would stall every other request.
    await delPod(this.#host.rtnl, spec, (link) =>
      this.#reaper.retire(link, { netnsPath: spec.netnsPath, ifName: spec.ifName }),
    );
  }

  async check(spec: PodNetworkSpec): Promise<CheckProblem[]> {
    validatePodSpec(spec);
    return checkPod(this.#host.rtnl, spec);
  }
}

/** Waits for every promise; throws the first rejection in list (= send) order. */
async function allOrFirstError(ps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(ps);
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

/** A random unicast, locally administered MAC (what the kernel itself would pick for a veth). */
function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return formatMac(b) ?? "";
}

/** Where the kernel does not echo a new link (Linux < 6.3): ask for both ends. */
async function lookUpVeth(host: Rtnl, podNl: Rtnl, spec: PodNetworkSpec) {
  const [h, p] = await Promise.all([host.linkByName(spec.hostVethName), podNl.linkByName(spec.ifName)]);
  if (!h?.mac || !p?.mac) throw new HostnetError("netlink", "veth vanished right after creation");
  return { host: { index: h.index, mac: h.mac }, pod: { index: p.index, mac: p.mac } };
}
