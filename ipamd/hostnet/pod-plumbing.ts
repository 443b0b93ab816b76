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
import { type CreatedVeth, RT_TABLE_MAIN, type Rtnl, type RuleSpec } from "./rtnl.ts";
import {
  addressMessage,
  type BatchMessage,
  linkUpMessage,
  permanentNeighbourMessage,
  routeMessage,
  ruleMessage,
} from "./rtnl-encode.ts";
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

      // Everything left is ACK-only: one datagram per socket (Rtnl.batch),
      // both sent before either answer is awaited. Each socket's kernel side
      // handles its messages in order, so the link is up before its routes
      // and the gateway route exists before the default route that uses it.
      const hostRoute = { dst: ip32, oif: links.host.index, scope: "link" as const, table: RT_TABLE_MAIN };
      const toRule = { priority: TO_POD_RULE_PRIORITY, table: RT_TABLE_MAIN, dst: ip32 };
      const podIndex = links.pod.index;
      const podMsgs: Planned[] = [];
      await step("pod-link-up");
      podMsgs.push({ what: "set pod link up", msg: linkUpMessage(podIndex) });
      await step("pod-address");
      podMsgs.push({ what: `add address ${ip32}`, msg: addressMessage(podIndex, spec.podIp, 32) });
      await step("pod-gateway-route");
      const gwRoute = { dst: `${POD_GATEWAY}/32`, oif: podIndex, scope: "link" as const };
      podMsgs.push({ what: `add route ${gwRoute.dst}`, msg: routeMessage(gwRoute, false) });
      await step("pod-default-route");
      const defRoute = { dst: "0.0.0.0/0", oif: podIndex, gateway: POD_GATEWAY };
      podMsgs.push({ what: "add default route", msg: routeMessage(defRoute, false) });
      await step("pod-neighbour");
      const neigh = permanentNeighbourMessage(podIndex, POD_GATEWAY, links.host.mac);
      podMsgs.push({ what: `add neighbour ${POD_GATEWAY}`, msg: neigh });
      const podDone = podNl.batch(podMsgs.map((p) => p.msg));
      sent.push(podDone);

      // Host side: each step that creates something gets its undo once the
      // answer says it did (a rule that was already there is not ours to undo).
      const hostMsgs: (Planned & { undo: () => Promise<unknown> })[] = [];
      await step("host-route");
      hostMsgs.push({
        what: `add route ${ip32}`,
        msg: routeMessage(hostRoute, true),
        undo: () => host.deleteRoute(hostRoute),
      });
      await step("to-rule");
      const rules: RuleSpec[] = [toRule];
      await step("from-rule");
      rules.push(...fromRules(spec));
      for (const r of rules) {
        hostMsgs.push({
          what: `add rule pref ${r.priority}`,
          msg: ruleMessage(r),
          undo: () => host.deleteRule(r),
          existsOk: true,
        });
      }
      const hostDone = host.batch(hostMsgs.map((h) => h.msg)).then((outcomes) => {
        outcomes.forEach((errno, i) => {
          if (errno === undefined) undo.push(hostMsgs[i]!.undo);
        });
        return outcomes;
      });
      sent.push(hostDone);

      const [podOutcomes, hostOutcomes] = await Promise.all([podDone, hostDone]);
      throwFirstFailure(podMsgs, podOutcomes);
      throwFirstFailure(hostMsgs, hostOutcomes);
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

/** A message of a batch and what it does, for the error message. */
interface Planned {
  what: string;
  msg: BatchMessage;
  /** EEXIST means "already as wanted" (rules: an identical one exists). */
  existsOk?: boolean;
}

/** Throws the first failed message's errno, as a HostnetError naming what it did. */
function throwFirstFailure(planned: readonly Planned[], outcomes: readonly (string | undefined)[]): void {
  outcomes.forEach((errno, i) => {
    if (errno === undefined || (errno === "EEXIST" && planned[i]!.existsOk)) return;
    throw new HostnetError("netlink", `${planned[i]!.what}: Request rejected: ${errno}`, errno);
  });
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
