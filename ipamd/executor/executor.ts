// Applies one PlanAction through EC2, the host and the datastore. Ordering
// rules (the "never lose or double-assign" argument):
//  - growth is recorded in the datastore only after EC2 said what it added,
//    and only what it said (AssignResult lists only the new addresses);
//  - shrinking WITHDRAWS from the datastore first (only free addresses can
//    be withdrawn), so no ADD can take an address EC2 is taking away; if EC2
//    refuses, the addresses go back.
// Errors are thrown as they come (Ec2Error, HostnetError); outcome.ts says
// what they mean for the round.
//
// DeleteOnTermination: neither CreateNetworkInterface nor
// AttachNetworkInterface can set it (EC2 API: only RunInstances'
// NetworkInterfaces and ModifyNetworkInterfaceAttribute's Attachment do), so
// it costs one ENI mutation per new ENI, from the same account bucket (5/s)
// as the calls that give pods addresses. It protects against a leak only if
// the instance dies, which the leak cleaner also covers, so it is deferred:
// settleLater() sets it, once per attachment, after the pool needs nothing
// more, as a background call that yields the bucket to growth under
// throttling (cloud/ec2: background retry policy).
import { type Ec2Api, isEc2Error } from "../../cloud/ec2/types.ts";
import { type ImdsError, isImdsError } from "../../cloud/imds/errors.ts";
import type { ImdsApi, ImdsEni } from "../../cloud/imds/types.ts";
import { prefixAddresses } from "../datastore/addr.ts";
import type { Datastore } from "../datastore/datastore.ts";
import type { EniInfo } from "../datastore/types.ts";
import type { Logger } from "../log.ts";
import type { PlanAction } from "../planner/types.ts";
import type { EniHost } from "./eni-host.ts";
import { type EniTagContext, eniDescription, eniTags } from "./tags.ts";

export interface ExecutorDeps {
  ec2: Ec2Api;
  imds: ImdsApi;
  ds: Datastore;
  host: EniHost;
  tags: EniTagContext;
  log: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a new ENI may take to show in IMDS / detach in EC2. */
  waitMs?: number;
  /** Between EC2 Describe polls (a detach); default 200 ms: EC2 throttles Describe calls. */
  pollMs?: number;
  /**
   * Between IMDS polls for a new attachment; default 50 ms. IMDS is local to
   * the instance and each poll is one GET (ImdsApi.eni), and every ADD held
   * for the new ENI waits out the poll's lag after the attach completes.
   */
  imdsPollMs?: number;
}

export interface ActionDone {
  /** True when something was given back to EC2 (the planner's scale-down damping). */
  scaledDown: boolean;
  /**
   * What this action changed, for the IMDS-lag trust window (input.ts,
   * trustObservation): ENIs it created or deleted, and the secondary IPs and
   * prefixes it added or removed.
   */
  changed: Changed;
  /**
   * Addresses EC2 just put on this ENI that the datastore has on another one
   * (#adopt): the pool loop trusts EC2's view of them at once and resyncs.
   */
  takenElsewhere?: string[];
}

export interface Changed {
  enis: string[];
  addresses: string[];
}

const NOTHING: Changed = { enis: [], addresses: [] };

export class Executor {
  readonly #d: ExecutorDeps;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** New attachments whose DeleteOnTermination is not set yet: ENI id -> attachment id. */
  readonly #unsettled = new Map<string, string>();
  #settling: Promise<void> | undefined;

  constructor(d: ExecutorDeps) {
    this.#d = d;
    this.#now = d.now ?? Date.now;
    this.#sleep = d.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async apply(a: PlanAction): Promise<ActionDone> {
    switch (a.kind) {
      case "create-eni":
        return this.#createEni(a);
      case "assign-ips": {
        const r = await this.#d.ec2.assignPrivateIpAddresses({
          eniId: a.eniId,
          ipCount: a.count,
          known: this.#known(a.eniId),
        });
        return this.#adopt(a.eniId, r.ips, (ok) => this.#d.ds.addIps(a.eniId, ok));
      }
      case "assign-prefixes": {
        const r = await this.#d.ec2.assignPrivateIpAddresses({
          eniId: a.eniId,
          prefixCount: a.count,
          known: this.#known(a.eniId),
        });
        return this.#adopt(a.eniId, r.prefixes, (ok) => this.#d.ds.addPrefixes(a.eniId, ok));
      }
      case "release-ips":
        return this.#releaseIps(a.eniId, a.ips);
      case "release-prefixes":
        return this.#releasePrefixes(a.eniId, a.prefixes);
      case "delete-eni":
        return this.#deleteEni(a.eniId);
    }
  }

  /**
   * EC2's answer to an assign is the truth for what it returns: an address
   * (or a /28 with one) that the datastore has on ANOTHER ENI was taken from
   * there behind ipamd's back and is on this one now. Those are left to a
   * resync, which moves them with their pods (reconcile, host-follow.ts);
   * the rest are added now. Before, one such address failed the whole action
   * and left every address EC2 had just assigned unknown to ipamd for the
   * trust window (a minute).
   */
  #adopt(eniId: string, addrs: readonly string[], add: (ok: string[]) => void): ActionDone {
    const { ds, log } = this.#d;
    const elsewhere = addrs.filter((x) =>
      (x.includes("/") ? prefixAddresses(x) : [x]).some((ip) => {
        const owner = ds.ownerOf(ip);
        return owner !== undefined && owner !== eniId;
      }),
    );
    const ok = addrs.filter((x) => !elsewhere.includes(x));
    add(ok);
    if (elsewhere.length === 0) return { scaledDown: false, changed: { enis: [], addresses: ok } };
    log.warn(
      { eniId, addresses: elsewhere, owners: elsewhere.map((x) => ds.ownerOf(x.split("/")[0]!)) },
      "EC2 assigned addresses the datastore has on another ENI (taken from there behind ipamd's back): a resync moves them",
    );
    return { scaledDown: false, changed: { enis: [], addresses: ok }, takenElsewhere: elsewhere };
  }

  /** What the datastore holds on the ENI: saves EC2 a Describe per assign (see AssignInput.known). */
  #known(eniId: string): string[] {
    const { ips, prefixes } = this.#d.ds.ipsOf(eniId);
    const primary = this.#d.ds.eni(eniId)?.primaryIp;
    return [...(primary === undefined ? [] : [primary]), ...ips, ...prefixes];
  }

  /** `lastError`: why the last probes failed, if they did, for the timeout's message. */
  async #poll<T>(
    what: string,
    everyMs: number,
    probe: () => Promise<T | undefined>,
    lastError?: () => string | undefined,
  ): Promise<T> {
    const deadline = this.#now() + (this.#d.waitMs ?? 30_000);
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (this.#now() >= deadline) {
        const why = lastError?.();
        throw new Error(`timed out waiting for ${what}${why === undefined ? "" : ` (last error: ${why})`}`);
      }
      await this.#sleep(everyMs);
    }
  }

  async #createEni(a: Extract<PlanAction, { kind: "create-eni" }>): Promise<ActionDone> {
    const { ec2, ds, log, tags } = this.#d;
    const eni = await ec2.createNetworkInterface({
      subnetId: a.subnetId,
      securityGroupIds: a.securityGroupIds,
      description: eniDescription(tags.instanceId),
      ...(a.ipCount > 0 ? { secondaryIpCount: a.ipCount } : {}),
      ...(a.prefixCount > 0 ? { prefixCount: a.prefixCount } : {}),
      tags: eniTags(tags, this.#now()),
    });
    log.info({ eniId: eni.id, ips: eni.secondaryIps.length, prefixes: eni.prefixes.length }, "created ENI");
    let attachmentId: string | undefined;
    const t0 = this.#now();
    try {
      const att = await ec2.attachNetworkInterface({
        eniId: eni.id,
        instanceId: tags.instanceId,
        deviceIndex: a.deviceIndex,
      });
      attachmentId = att.attachmentId;
      // IMDS only (no EC2 Describe) while the attachment completes. A failed
      // IMDS read is retried until the deadline like a "not there yet": giving
      // up at once threw away an attached ENI (detach + delete + a new create:
      // three ENI mutations from the account's 5/s bucket) over one slow IMDS
      // answer. bench:scale, 1,000 nodes: 100-160 ENIs discarded per run that way.
      let imdsErr: ImdsError | undefined;
      const seen = await this.#poll<ImdsEni>(
        `ENI ${eni.id} in IMDS`,
        this.#d.imdsPollMs ?? 50,
        async () => {
          try {
            const found = await this.#d.imds.eni(eni.macAddress);
            imdsErr = undefined;
            return found;
          } catch (e) {
            if (!isImdsError(e) || e.kind === "unauthorized") throw e;
            imdsErr = e;
            return undefined;
          }
        },
        () => imdsErr?.message,
      );
      const tSeen = this.#now();
      const info: EniInfo = {
        id: eni.id,
        mac: eni.macAddress,
        deviceIndex: a.deviceIndex,
        primary: false,
        subnetId: eni.subnetId,
        subnetCidr: seen.subnetCidr,
        primaryIp: eni.primaryIp,
        attachedAtMs: this.#now(),
      };
      await this.#d.host.setup(info);
      ds.upsertEni(info);
      const ips = this.#adopt(eni.id, eni.secondaryIps, (ok) => ds.addIps(eni.id, ok));
      const prefixes = this.#adopt(eni.id, eni.prefixes, (ok) => ds.addPrefixes(eni.id, ok));
      this.#unsettled.set(eni.id, attachmentId);
      // How long the attachment took to show in IMDS, and the host setup after it.
      const ms = { attachMs: tSeen - t0, setupMs: this.#now() - tSeen };
      log.info({ eniId: eni.id, deviceIndex: a.deviceIndex, ...ms }, "ENI attached and set up");
      const elsewhere = [...(ips.takenElsewhere ?? []), ...(prefixes.takenElsewhere ?? [])];
      return {
        scaledDown: false,
        changed: { enis: [eni.id], addresses: [...ips.changed.addresses, ...prefixes.changed.addresses] },
        ...(elsewhere.length > 0 ? { takenElsewhere: elsewhere } : {}),
      };
    } catch (e) {
      // Roll back so EC2 holds nothing the datastore does not know about.
      await this.#discard(eni.id, attachmentId).catch((re: unknown) =>
        log.warn(
          { eniId: eni.id, err: (re as Error).message },
          "rollback of new ENI failed; the leak cleaner will get it",
        ),
      );
      throw e;
    }
  }

  /** Attachments still waiting for DeleteOnTermination (ENI ids). */
  get unsettled(): string[] {
    return [...this.#unsettled.keys()];
  }

  /**
   * Sets DeleteOnTermination on new attachments in the background, one call
   * each; what fails stays for the next call. Never rejects; returns the
   * pass (tests await it).
   */
  settleLater(): Promise<void> {
    if (this.#unsettled.size === 0) return Promise.resolve();
    this.#settling ??= this.#settle().finally(() => {
      this.#settling = undefined;
    });
    return this.#settling;
  }

  async #settle(): Promise<void> {
    const { ec2, ds, log } = this.#d;
    for (const [eniId, attachmentId] of [...this.#unsettled]) {
      if (ds.eni(eniId) === undefined) {
        this.#unsettled.delete(eniId); // deleted or vanished meanwhile
        continue;
      }
      try {
        await ec2.setDeleteOnTermination({ eniId, attachmentId, value: true, background: true });
        this.#unsettled.delete(eniId);
      } catch (e) {
        const final = isEc2Error(e) && (e.kind === "not-found" || e.kind === "invalid");
        if (final) this.#unsettled.delete(eniId);
        // Not fatal: the leak cleaner deletes the ENI if the instance dies first.
        log.warn(
          { eniId, err: (e as Error).message, willRetry: !final },
          "could not set DeleteOnTermination",
        );
        if (!final) return;
      }
    }
  }

  async #discard(eniId: string, attachmentId: string | undefined): Promise<void> {
    if (attachmentId !== undefined) {
      await this.#d.ec2.detachNetworkInterface({ attachmentId, force: true });
      await this.#waitDetached(eniId);
    }
    await this.#d.ec2.deleteNetworkInterface(eniId);
  }

  async #waitDetached(eniId: string): Promise<void> {
    await this.#poll(`ENI ${eniId} to detach`, this.#d.pollMs ?? 200, async () => {
      const [e] = await this.#d.ec2.describeNetworkInterfaces({ ids: [eniId] });
      return e === undefined || e.status === "available" ? true : undefined;
    });
  }

  async #releaseIps(eniId: string, ips: string[]): Promise<ActionDone> {
    const { ds, ec2 } = this.#d;
    // Re-checked right before the call: only addresses still free leave.
    const taken = ds.withdrawIps(eniId, ips, this.#now());
    if (taken.length === 0) return { scaledDown: false, changed: NOTHING };
    try {
      await ec2.unassignPrivateIpAddresses({ eniId, ips: taken });
    } catch (e) {
      ds.addIps(eniId, taken);
      throw e;
    }
    return { scaledDown: true, changed: { enis: [], addresses: taken } };
  }

  async #releasePrefixes(eniId: string, prefixes: string[]): Promise<ActionDone> {
    const { ds, ec2 } = this.#d;
    const taken = ds.withdrawPrefixes(eniId, prefixes, this.#now());
    if (taken.length === 0) return { scaledDown: false, changed: NOTHING };
    try {
      await ec2.unassignPrivateIpAddresses({ eniId, prefixes: taken });
    } catch (e) {
      ds.addPrefixes(eniId, taken);
      throw e;
    }
    return { scaledDown: true, changed: { enis: [], addresses: taken } };
  }

  async #deleteEni(eniId: string): Promise<ActionDone> {
    const { ds, ec2, log } = this.#d;
    const info = ds.eni(eniId);
    if (info === undefined || info.primary) return { scaledDown: false, changed: NOTHING };
    const held = ds.ipsOf(eniId);
    if (!ds.withdrawEni(eniId, this.#now())) return { scaledDown: false, changed: NOTHING };
    this.#unsettled.delete(eniId);
    const putBack = () => {
      ds.upsertEni(info);
      ds.addIps(eniId, held.ips);
      ds.addPrefixes(eniId, held.prefixes);
    };
    let attachmentId: string | undefined;
    try {
      const [e] = await ec2.describeNetworkInterfaces({ ids: [eniId] });
      attachmentId = e?.attachment?.attachmentId;
      if (attachmentId !== undefined) await ec2.detachNetworkInterface({ attachmentId });
    } catch (e) {
      putBack();
      throw e;
    }
    // From here the ENI is leaving the node whatever happens next.
    await this.#d.host
      .teardown(info)
      .catch((e: unknown) => log.warn({ eniId, err: (e as Error).message }, "ENI teardown"));
    if (attachmentId !== undefined) await this.#waitDetached(eniId);
    await ec2.deleteNetworkInterface(eniId);
    log.info({ eniId }, "deleted ENI");
    return { scaledDown: true, changed: { enis: [eniId], addresses: [...held.ips, ...held.prefixes] } };
  }
}
