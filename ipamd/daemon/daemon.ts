// The wiring object: builds every part from settings and clients, in the
// order data flows (recovery -> datastore -> API -> pool loop -> cleanup),
// and tears them down in reverse. No decisions here; main.ts only reads the
// environment and calls start()/stop(). Tests run it in-process.
import { mkdirSync } from "node:fs";
import type { Ec2Api } from "../../cloud/ec2/types.ts";
import type { ImdsApi, InstanceIdentity } from "../../cloud/imds/types.ts";
import { resolveInstanceLimits } from "../../cloud/limits/resolve.ts";
import type { InstanceLimits } from "../../cloud/limits/types.ts";
import { IpamdHandlers } from "../api/handlers.ts";
import { type ApiServer, startApiServer } from "../api/server.ts";
import { LeakedEniCleaner } from "../cleanup/loop.ts";
import { type Settings, toPoolSettings } from "../config/settings.ts";
import { Checkpoint } from "../datastore/checkpoint.ts";
import { Datastore } from "../datastore/datastore.ts";
import { DurableDatastore } from "../datastore/durable.ts";
import { type EniHost, netlinkEniHost } from "../executor/eni-host.ts";
import { Executor } from "../executor/executor.ts";
import { maxPodAddresses, poolSnapshot } from "../executor/input.ts";
import { PoolLoop } from "../executor/pool-loop.ts";
import { HostNamespace } from "../hostnet/host-ns.ts";
import { NetlinkPodPlumbing } from "../hostnet/pod-plumbing.ts";
import type { PodPlumbing } from "../hostnet/types.ts";
import { startIntrospection } from "../introspection/server.ts";
import type { Logger } from "../log.ts";
import { IpamdMetrics } from "../metrics/metrics.ts";
import { type HttpEndpoint, startMetricsServer } from "../metrics/server.ts";
import { RECOVERED_NETWORK, scanHostPods, sweepPlaceholders } from "../recovery/host-scan.ts";
import { observe } from "../recovery/observe.ts";
import { type RecoveryReport, recover } from "../recovery/recover.ts";

export interface DaemonDeps {
  settings: Readonly<Settings>;
  imds: ImdsApi;
  /** Builds the EC2 facade with the metrics hook (the facade's onCall). */
  makeEc2: (onCall: IpamdMetrics["onEc2Call"], identity: InstanceIdentity) => Ec2Api & { close?: () => void };
  /** The namespace acting as the node; undefined = ours (production: hostNetwork). */
  hostNetnsPath?: string;
  log: Logger;
  now?: () => number;
  /** Per-pod plumbing; default netlink in hostNetnsPath. Benchmarks inject a no-op to measure the API alone. */
  plumbing?: PodPlumbing & { close?: () => void };
}

export interface DaemonInfo {
  identity: InstanceIdentity;
  limits: InstanceLimits;
  recovery: RecoveryReport;
  metricsAddress: string;
  introspectionAddress: string;
}

interface Parts {
  ec2: Ec2Api & { close?: () => void };
  ns: HostNamespace;
  plumbing: PodPlumbing & { close?: () => void };
  durable: DurableDatastore;
  api?: ApiServer;
  pool?: PoolLoop;
  cleaner?: LeakedEniCleaner;
  http: HttpEndpoint[];
}

export class Daemon {
  readonly #d: DaemonDeps;
  readonly metrics = new IpamdMetrics();
  #ready = false;
  #notReadyReason = "starting: recovering state from IMDS, EC2 and the checkpoint";
  #parts: Parts | undefined;
  info: DaemonInfo | undefined;

  constructor(d: DaemonDeps) {
    this.#d = d;
  }

  get pool(): PoolLoop | undefined {
    return this.#parts?.pool;
  }

  get datastore(): Datastore | undefined {
    return this.#parts?.durable.ds;
  }

  readiness(): { ready: boolean; reason?: string } {
    return this.#ready ? { ready: true } : { ready: false, reason: this.#notReadyReason };
  }

  /** Starts everything; on failure, whatever started is stopped again before the error is thrown. */
  async start(): Promise<DaemonInfo> {
    try {
      return await this.#start();
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
  }

  async #start(): Promise<DaemonInfo> {
    const { settings: s, imds, log } = this.#d;
    const now = this.#d.now ?? Date.now;
    const identity = await imds.identity();
    const ec2 = this.#d.makeEc2(this.metrics.onEc2Call, identity);
    const ns = new HostNamespace(this.#d.hostNetnsPath);
    const plumbing =
      this.#d.plumbing ??
      new NetlinkPodPlumbing(
        this.#d.hostNetnsPath === undefined ? {} : { hostNetnsPath: this.#d.hostNetnsPath },
      );
    const ds = new Datastore({ cooldownMs: s.ipCooldownMs, podsOnPrimaryEni: !s.customNetworking });
    mkdirSync(s.stateDir, { recursive: true, mode: 0o700 });
    const checkpoint = new Checkpoint(s.checkpointPath);
    const durable = new DurableDatastore(ds, checkpoint, now);
    const parts: Parts = { ec2, ns, plumbing, durable, http: [] };
    this.#parts = parts;

    const limits = await resolveInstanceLimits(
      ec2,
      identity.instanceType,
      s.maxEni === undefined ? {} : { maxEni: s.maxEni },
    );
    log.info({ instanceId: identity.instanceId, instanceType: identity.instanceType, limits }, "instance");
    const host: EniHost = netlinkEniHost(ns, s.mtu);
    const recovery = await recover({
      imds,
      ec2,
      durable,
      checkpoint,
      host,
      scanHostPods: () => scanHostPods(ns, s.vethPrefix),
      instanceId: identity.instanceId,
      metrics: this.metrics,
      log,
      now,
    });

    // New ENIs go to the primary ENI's subnet with its security groups.
    // (Custom networking's ENIConfig subnet comes from the k8s module; not wired yet.)
    const primary = (await imds.enis()).find((e) => e.mac === identity.primaryMac);
    if (primary === undefined)
      throw new Error(`IMDS lists no ENI with the primary MAC ${identity.primaryMac}`);
    if (s.customNetworking)
      log.warn("custom networking: ENIConfig subnets are not wired yet; new ENIs use the primary subnet");
    const state = {
      settings: toPoolSettings(s),
      limits,
      subnet: { id: primary.subnetId, securityGroupIds: primary.securityGroupIds },
      podsOnPrimaryEni: !s.customNetworking,
      pendingDemand: 0,
      lastScaleDownMs: 0,
    };
    const tags = {
      clusterName: s.clusterName ?? "",
      nodeName: s.nodeName ?? "",
      instanceId: identity.instanceId,
    };
    const executor = new Executor({
      ec2,
      imds,
      ds,
      host,
      tags,
      log: log.child({ component: "executor" }),
      now,
    });
    const pool = new PoolLoop({
      ds,
      executor,
      host,
      ec2,
      observe: () => observe(imds, ec2, identity.instanceId, now()),
      sweep: async () => {
        if (!ds.assignments().some((a) => a.key.network === RECOVERED_NETWORK)) return;
        const live = new Set((await ns.rtnl.links()).map((l) => l.name));
        if (sweepPlaceholders(ds, live, now()).length > 0) await durable.persist();
      },
      state,
      provisioning: !s.disableNetworkResourceProvisioning,
      instanceId: identity.instanceId,
      intervalMs: s.reconcileIntervalMs,
      metrics: this.metrics,
      log: log.child({ component: "pool" }),
      now,
    });
    parts.pool = pool;
    this.metrics.setPoolSource(() => poolSnapshot(ds.counts(now()), state, pool.lastPlan));

    const handlers = new IpamdHandlers({
      durable,
      plumbing,
      pool,
      readiness: () => this.readiness(),
      metrics: this.metrics,
      log: log.child({ component: "api" }),
      now,
    });
    parts.api = await startApiServer({ socketPath: s.socketPath, handler: handlers, log });
    this.#ready = true;

    // First round right away: grow the pool to its targets after start.
    void pool.kick(false);
    pool.start();

    const metricsEp = await startMetricsServer(this.metrics, s.metricsAddress, log);
    parts.http.push(metricsEp);
    const introEp = await startIntrospection(
      {
        enis: () => ds.enis().map((e) => ({ ...e, ...ds.ipsOf(e.id) })),
        assignments: () => ds.assignments(),
        settings: () => s,
        limits: () => ({ ...limits, maxPodAddresses: maxPodAddresses(state) }),
        status: () => ({
          ...this.readiness(),
          counts: ds.counts(now()),
          lastPlan: pool.lastPlan,
          lastReconcileOkMs: pool.lastSuccessMs,
        }),
      },
      s.introspectionAddress,
      log,
    );
    parts.http.push(introEp);

    const cleaner = new LeakedEniCleaner({
      ec2,
      clusterName: s.clusterName ?? "",
      delayMs: s.leakedEniDelayMs,
      intervalMs: s.leakedEniDelayMs,
      log: log.child({ component: "cleanup" }),
      now,
      onDeleted: () => this.metrics.leakedEniDeleted(),
    });
    cleaner.start();
    parts.cleaner = cleaner;

    this.info = {
      identity,
      limits,
      recovery,
      metricsAddress: metricsEp.address,
      introspectionAddress: introEp.address,
    };
    log.info(
      { socket: s.socketPath, metrics: metricsEp.address, introspection: introEp.address },
      "ipamd ready",
    );
    return this.info;
  }

  /** Stop accepting, finish in-flight requests, stop loops, persist, close. Safe to call twice. */
  async stop(): Promise<void> {
    const p = this.#parts;
    if (p === undefined) return;
    this.#parts = undefined;
    this.#ready = false;
    this.#notReadyReason = "shutting down";
    await p.api?.close();
    await p.pool?.stop();
    await p.cleaner?.stop();
    const saved = await p.durable.persist();
    if (!saved.ok) this.#d.log.error({ err: saved.error.message }, "final checkpoint write failed");
    for (const h of p.http) await h.close();
    p.plumbing.close?.();
    p.ns.close();
    p.ec2.close?.();
    this.#d.log.info("ipamd stopped");
  }
}
