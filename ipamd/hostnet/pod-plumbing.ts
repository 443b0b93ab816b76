// Per-pod plumbing done by ipamd with in-process netlink (no `ip` spawns):
//   pod ns:  <ifName> podIp/32 up, 169.254.1.1 dev <ifName> scope link,
//            default via 169.254.1.1, permanent neighbour 169.254.1.1 -> host veth MAC
//   host ns: <hostVeth> up, podIp/32 dev <hostVeth> scope link (main),
//            rule to podIp lookup main pref 512, [rule from podIp lookup <eniTable> pref 1536]
// ADD is all-or-nothing: every step that creates something pushes its undo,
// and any failure runs the undos (newest first) before the error is thrown.
import { isExists, toHostnetError } from "./errors.ts";
import { HostNamespace } from "./host-ns.ts";
import { type NetnsHandle, openNetns, openRtnlIn } from "./netns.ts";
import { checkPod } from "./pod-check.ts";
import { delPod } from "./pod-del.ts";
import { RT_TABLE_MAIN, type Rtnl } from "./rtnl.ts";
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
  "host-veth-up",
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

  async add(spec: PodNetworkSpec): Promise<PodLinks> {
    validatePodSpec(spec);
    const host = this.#host.rtnl;
    const undo: (() => Promise<unknown>)[] = [];
    let pod: NetnsHandle | undefined;
    let podNl: Rtnl | undefined;
    const step = async (s: AddStep) => this.#beforeStep?.(s, spec);
    const ip32 = `${spec.podIp}/32`;
    try {
      await step("open-netns");
      pod = openNetns(spec.netnsPath);
      podNl = openRtnlIn(pod.fd);

      // The create is tried first: in the common case nothing is in the way,
      // an EEXIST (either name taken) runs #clearWay's checks
      // and one retry, instead of every ADD paying two netlink round trips.
      await step("check-absent");
      await step("remove-stale-host-veth");
      await step("create-veth");
      try {
        await host.createVeth(spec.hostVethName, spec.ifName, spec.mtu, pod.fd);
      } catch (err) {
        if (!isExists(err)) throw err;
        await this.#clearWay(spec, podNl);
        await host.createVeth(spec.hostVethName, spec.ifName, spec.mtu, pod.fd);
      }
      // Deleting one end deletes both, and with them every pod-side address,
      // route and neighbour: one undo covers the pod side.
      undo.push(() => host.deleteLinkByName(spec.hostVethName));
      const [hostLink, podLink] = await Promise.all([
        host.linkByName(spec.hostVethName),
        podNl.linkByName(spec.ifName),
      ]);
      if (!hostLink?.mac || !podLink?.mac)
        throw new HostnetError("netlink", "veth vanished right after creation");

      await step("host-veth-up");
      await host.setLink(hostLink.index, { up: true });
      await step("pod-link-up");
      await podNl.setLink(podLink.index, { up: true });
      await step("pod-address");
      await podNl.addAddress(podLink.index, spec.podIp, 32);
      await step("pod-gateway-route");
      await podNl.addRoute({ dst: `${POD_GATEWAY}/32`, oif: podLink.index, scope: "link" });
      await step("pod-default-route");
      await podNl.addRoute({ dst: "0.0.0.0/0", oif: podLink.index, gateway: POD_GATEWAY });
      await step("pod-neighbour");
      await podNl.setPermanentNeighbour(podLink.index, POD_GATEWAY, hostLink.mac);

      await step("host-route");
      const hostRoute = { dst: ip32, oif: hostLink.index, scope: "link" as const, table: RT_TABLE_MAIN };
      await host.addRoute(hostRoute, true);
      undo.push(() => host.deleteRoute(hostRoute));
      await step("to-rule");
      const toRule = { priority: TO_POD_RULE_PRIORITY, table: RT_TABLE_MAIN, dst: ip32 };
      if (await host.addRule(toRule)) undo.push(() => host.deleteRule(toRule));
      await step("from-rule");
      for (const fromRule of fromRules(spec)) {
        if (await host.addRule(fromRule)) undo.push(() => host.deleteRule(fromRule));
      }
      return {
        hostInterface: { name: spec.hostVethName, mac: hostLink.mac },
        podInterface: { name: spec.ifName, mac: podLink.mac, sandbox: spec.netnsPath },
      };
    } catch (err) {
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
