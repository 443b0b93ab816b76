// The wiring object: builds every part from settings and clients, in the
// order data flows (recovery -> datastore -> API -> node network (SNAT) ->
// ready -> pool loop -> cleanup -> Kubernetes), and tears them down in
// reverse. Kubernetes is optional: with no kubeconfig (DaemonDeps.kubeconfig
// undefined) those parts are off. No decisions here; main.ts only reads the
// environment and calls start()/stop(). Tests run it in-process.
import { mkdirSync } from "node:fs";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Ec2Api } from "../../cloud/ec2/types.ts";
import type { ImdsApi, InstanceIdentity } from "../../cloud/imds/types.ts";
import { maxPods } from "../../cloud/limits/limits.ts";
import { resolveInstanceLimits, resolveInstanceType } from "../../cloud/limits/resolve.ts";
import type { InstanceLimits } from "../../cloud/limits/types.ts";
import { IpamdHandlers, type PoolSignals } from "../api/handlers.ts";
import { PROTOCOL_VERSION } from "../api/protocol.ts";
import { type ApiServer, startApiServer } from "../api/server.ts";
import { LeakedEniCleaner } from "../cleanup/loop.ts";
import { type Settings, toPoolSettings } from "../config/settings.ts";
import { Checkpoint } from "../datastore/checkpoint.ts";
import { Datastore } from "../datastore/datastore.ts";
import { DurableDatastore } from "../datastore/durable.ts";
import type { Assignment } from "../datastore/types.ts";
import { type EniHost, netlinkEniHost } from "../executor/eni-host.ts";
import { newEniSubnet } from "../executor/eni-subnet.ts";
import { Executor } from "../executor/executor.ts";
import { maxPodAddresses, type PoolState, poolSnapshot } from "../executor/input.ts";
import { PoolLoop } from "../executor/pool-loop.ts";
import { HostNamespace } from "../hostnet/host-ns.ts";
import { NetlinkPodPlumbing } from "../hostnet/pod-plumbing.ts";
import type { PodPlumbing } from "../hostnet/types.ts";
import { startIntrospection } from "../introspection/server.ts";
import type { K8sClients } from "../k8s/client.ts";
import type { EniConfigSpec, NodeInfo } from "../k8s/node-info.ts";
import type { ExhaustionCause } from "../k8s/nodeipam-types.ts";
import type { Logger } from "../log.ts";
import { IpamdMetrics } from "../metrics/metrics.ts";
import { type HttpEndpoint, startMetricsServer } from "../metrics/server.ts";
import { effectivePoolSettings } from "../planner/effective.ts";
import { GonePodSweeper } from "../recovery/gone-pods.ts";
import { RECOVERED_NETWORK, scanHostPods, sweepPlaceholders } from "../recovery/host-scan.ts";
import { observe, reservedDeviceIndexes } from "../recovery/observe.ts";
import { type RecoveryReport, recover } from "../recovery/recover.ts";
import type { KubeNode, KubeSources } from "./k8s-node.ts";
import { kubeSources as kubeSourcesOf } from "./k8s-sources.ts";
import { type AllocationError, causeOfEc2ErrorKind, causeOfShortfall } from "./k8s-status.ts";
import { hostNodeSetup, type NodeSetupEffects, waitForNodeSetup } from "./node-setup-step.ts";
import { SubnetFreeCache } from "./subnet-free.ts";

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
  /**
   * The node-level data plane (ip_forward, rp_filter, SNAT); default netlink +
   * iptables in hostNetnsPath. Benchmarks without a VPC data plane (no primary ENI interface) inject a no-op.
   */
  nodeSetup?: NodeSetupEffects;
  /** The Kubernetes API (in-cluster or KUBECONFIG); undefined = no Kubernetes, those parts are off. */
  kubeconfig?: KubeConfig;
}

export interface DaemonInfo {
  identity: InstanceIdentity;
  limits: InstanceLimits;
  recovery: RecoveryReport;
  /** Undefined with DISABLE_METRICS. */
  metricsAddress: string | undefined;
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
  gone?: GonePodSweeper;
  kube?: KubeNode;
  http: HttpEndpoint[];
}

/** A configuration that cannot work; names the setting to fix. */
export class StartupConfigError extends Error {
  override name = "StartupConfigError";
}

export class Daemon {
  readonly #d: DaemonDeps;
  readonly metrics = new IpamdMetrics();
  #ready = false;
  #notReadyReason = "starting: recovering state from IMDS, EC2 and the checkpoint";
  #parts: Parts | undefined;
  /** Aborts waits during start (custom networking's ENIConfig) when stop() comes first. */
  readonly #abort = new AbortController();
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

  /** The Kubernetes parts, when running with a kubeconfig. */
  get kube(): KubeNode | undefined {
    return this.#parts?.kube;
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
    const clients = await this.#kubeClients();
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
    for (const a of s.ignoredAwsSettings)
      log.warn({ setting: a.name, value: a.value }, `AWS VPC CNI setting accepted, but: ${a.note}`);

    // The probes first: the liveness probe (/livez) must answer while ipamd
    // still waits on EC2, its ENIConfig or the node set-up (/healthz, the
    // readiness probe, says not ready until then). Views fill in as parts exist.
    const late: { limits?: () => unknown; status?: () => Record<string, unknown> } = {};
    const introEp = await startIntrospection(
      {
        enis: () => ds.enis().map((e) => ({ ...e, ...ds.ipsOf(e.id) })),
        assignments: () => ds.assignments(),
        settings: () => s,
        limits: () => late.limits?.() ?? null,
        status: () => ({ ...this.readiness(), counts: ds.counts(now()), ...late.status?.() }),
      },
      s.introspectionAddress,
      log,
      { probesOnly: s.disableIntrospection },
    );
    parts.http.push(introEp);

    const limits = await resolveInstanceLimits(
      ec2,
      identity.instanceType,
      s.maxEni === undefined ? {} : { maxEni: s.maxEni },
    );
    const typeInfo = (await resolveInstanceType(ec2, identity.instanceType)).info;
    // What kubelet's --max-pods should be here (the EKS formula); shown in
    // metrics, introspection and NodeIPAM so operators can check their kubelet.
    const podsMax = maxPods(typeInfo, {
      prefixDelegation: s.prefixDelegation,
      customNetworking: s.customNetworking,
      ...(s.maxEni === undefined ? {} : { maxEni: s.maxEni }),
    });
    this.metrics.setMaxPods(podsMax);
    log.info(
      { instanceId: identity.instanceId, instanceType: identity.instanceType, limits, maxPods: podsMax },
      "instance",
    );
    const host: EniHost = netlinkEniHost(ns, s.mtu);
    const imdsEnis = await imds.enis();
    const primary = imdsEnis.find((e) => e.mac === identity.primaryMac);
    if (primary === undefined)
      throw new Error(`IMDS lists no ENI with the primary MAC ${identity.primaryMac}`);
    // SNAT on the node: pods on secondary ENIs use their ENI's table only
    // towards the VPC (and SNAT-excluded CIDRs); the rest leaves by the
    // primary ENI, SNATed (api/pod-spec.ts). External SNAT: everything.
    const podRuleDestinations = s.externalSnat ? undefined : [...primary.vpcCidrs, ...s.excludeSnatCidrs];
    const recovery = await recover({
      imds,
      ec2,
      durable,
      checkpoint,
      host,
      hostRules: ns.rtnl,
      ...(podRuleDestinations === undefined ? {} : { podRuleDestinations }),
      scanHostPods: () => scanHostPods(ns, s.vethPrefix),
      instanceId: identity.instanceId,
      metrics: this.metrics,
      log,
      now,
    });

    // Built before the pool so the ENIConfig wait below counts its API errors too;
    // its data sources are filled in once the datastore, pool and API exist.
    let kubeSources: KubeSources | undefined;
    // Loaded only with Kubernetes on: @kubernetes/client-node alone costs ~80 MiB
    // of RSS (bench/profile-mem-imports.ts), too much for a node without it.
    const kube =
      clients === undefined
        ? undefined
        : new (await import("./k8s-node.ts")).KubeNode({
            clients,
            nodeName: s.nodeName ?? "",
            statusIntervalMs: s.statusIntervalMs,
            eventIntervalMs: s.eventIntervalMs,
            podReleaseGraceMs: s.podReleaseGraceMs,
            sources: () => kubeSources,
            registry: this.metrics.registry,
            log: log.child({ component: "k8s" }),
            now,
            // Called once start() below has read the Node: the pool exists by then.
            onNode: (n) => capPodsAt(n.capacityPods),
          });
    let node: NodeInfo | undefined;
    let eniConfig: EniConfigSpec | undefined;
    if (s.customNetworking && clients !== undefined) {
      const { waitForEniConfig } = await import("./eni-config-wait.ts");
      ({ node, eniConfig } = await waitForEniConfig({
        clients,
        nodeName: s.nodeName ?? "",
        labelDef: s.eniConfigLabelDef,
        annotationDef: s.eniConfigAnnotationDef,
        log,
        signal: this.#abort.signal,
        onError: (err) => kube?.apiFailed("node", err),
      }));
    }
    // Prefix delegation on an instance without it falls back to secondary IPs, as the AWS VPC CNI does.
    const effective = effectivePoolSettings(toPoolSettings(s), limits);
    if (effective.warning !== undefined) log.warn({ instanceType: identity.instanceType }, effective.warning);
    const state: PoolState = {
      settings: effective.settings,
      limits,
      subnet: newEniSubnet(primary, s.customNetworking, eniConfig),
      podsOnPrimaryEni: !s.customNetworking,
      pendingDemand: 0,
      lastScaleDownMs: 0,
      // Attached ENIs ipamd does not manage (no_manage) hold their device slots from the first round.
      reservedDeviceIndexes: reservedDeviceIndexes(
        imdsEnis,
        ds.enis().map((e) => e.id),
      ),
    };
    /** kubelet's max pods (the Node's capacity): the pool grows no further (AWS VPC CNI). */
    const capPodsAt = (pods: number | undefined) => {
      if (pods === undefined || state.maxPods === pods) return;
      state.maxPods = pods;
      log.info({ maxPods: pods }, "the pool grows up to the Node's pod capacity");
      parts.pool?.nudge();
    };
    capPodsAt(node?.capacityPods);
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
    let lastAllocationError: AllocationError | undefined;
    const allocationFailed = (cause: ExhaustionCause, message: string) => {
      lastAllocationError = { cause, message, atMs: now() };
      kube?.allocationFailed(cause, message);
    };
    const pool = new PoolLoop({
      ds,
      executor,
      host,
      // Through the getter each time: ns.rtnl replaces a socket that broke.
      hostRules: {
        rules: () => ns.rtnl.rules(),
        addRule: (r) => ns.rtnl.addRule(r),
        deleteRule: (r) => ns.rtnl.deleteRule(r),
      },
      ...(podRuleDestinations === undefined ? {} : { podRuleDestinations }),
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
      ...(kube !== undefined && s.growForScheduledPods
        ? { scheduledDemand: () => kube.scheduledWithoutAddress() }
        : {}),
      onActionFailed: (a, eff, err) => {
        const cause = causeOfEc2ErrorKind(eff.errorKind);
        if (cause === undefined) return;
        allocationFailed(
          cause,
          eff.shortfall?.message ??
            `EC2 throttled ${a.kind} on node ${identity.instanceId}: ${(err as Error).message}`,
        );
      },
    });
    parts.pool = pool;
    this.metrics.setPoolSource(() => poolSnapshot(ds.counts(now()), state, pool.lastPlan));

    // An ADD that finds no address and cannot get one is an allocation failure (Event, status).
    const signals: PoolSignals = {
      wake: (podKey) => {
        pool.wake(podKey);
        const sf = kube === undefined ? undefined : pool.shortfallNow(now());
        if (sf !== undefined)
          allocationFailed(
            causeOfShortfall(sf.cause),
            `pod ADD found no free address: ${pool.explainShortage(now())}`,
          );
      },
      explainShortage: (n) => pool.explainShortage(n),
      mayGrow: (n) => pool.mayGrow(n),
      changed: (ms, abort) => pool.changed(ms, abort),
      forget: (podKey) => {
        pool.forget(podKey);
        pool.nudge();
      },
    };
    const handlers = new IpamdHandlers({
      durable,
      plumbing,
      pool: signals,
      readiness: () => this.readiness(),
      metrics: this.metrics,
      log: log.child({ component: "api" }),
      now,
      maxAddWaitMs: s.addWaitMs,
      ...(podRuleDestinations === undefined ? {} : { eniTableDestinations: podRuleDestinations }),
    });
    // The DEL path, for callers inside ipamd (gone-pod sweep, Kubernetes reconciler).
    const releaseAsDel = async (a: Assignment) => {
      const res = await handlers.handle({
        v: PROTOCOL_VERSION,
        op: "del",
        key: a.key,
        netns: "",
        pod: a.pod,
        link: { mtu: s.podMtu, vethPrefix: s.vethPrefix },
      });
      if (!res.ok) throw new Error(`release of ${a.ip}: ${res.error.msg}`);
    };
    parts.api = await startApiServer({ socketPath: s.socketPath, handler: handlers, log });
    // The node's data plane before ready, so no pod gets an address before its
    // traffic leaving the VPC is SNATed. Until it works ipamd stays not ready:
    // ADD and STATUS answer with the reason, each failure is logged and retried.
    this.#notReadyReason = "starting: setting up the node's network (ip_forward, rp_filter, SNAT)";
    await waitForNodeSetup({
      settings: s,
      primary,
      effects: this.#d.nodeSetup ?? hostNodeSetup(ns, imds),
      log: log.child({ component: "node-setup" }),
      signal: this.#abort.signal,
      onFailure: (reason) => {
        this.#notReadyReason = reason;
      },
    });
    this.#ready = true;

    // First round right away: grow the pool to its targets after start.
    void pool.kick(false);
    pool.start();

    const metricsEp = s.disableMetrics
      ? undefined
      : await startMetricsServer(this.metrics, s.metricsAddress, log);
    if (metricsEp !== undefined) parts.http.push(metricsEp);
    late.limits = () => ({ ...limits, maxPodAddresses: maxPodAddresses(state), maxPods: podsMax });
    late.status = () => ({ lastPlan: pool.lastPlan, lastReconcileOkMs: pool.lastSuccessMs });

    // DISABLE_LEAKED_ENI_CLEANUP, or DISABLE_NETWORK_RESOURCE_PROVISIONING (as the AWS VPC CNI): off.
    if (s.leakedEniCleanup) {
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
    }

    const gone = new GonePodSweeper({
      ds,
      links: async () => new Set((await ns.rtnl.links()).map((l) => l.name)),
      release: releaseAsDel,
      log: log.child({ component: "gone-pods" }),
      now,
      onReleased: () => this.metrics.gonePodReleased(),
    });
    gone.start();
    parts.gone = gone;

    if (kube !== undefined) {
      kubeSources = kubeSourcesOf({
        settings: s,
        identity,
        limits,
        maxPods: podsMax,
        ds,
        pool,
        state,
        kube,
        subnetFree: new SubnetFreeCache(ec2, log.child({ component: "k8s" }), undefined, now),
        lastAllocationError: () => lastAllocationError,
        ready: () => this.readiness().ready,
        releaseAsDel,
        now,
      });
      kube.start(node);
      parts.kube = kube;
    }

    this.info = {
      identity,
      limits,
      recovery,
      metricsAddress: metricsEp?.address,
      introspectionAddress: introEp.address,
    };
    log.info(
      { socket: s.socketPath, metrics: metricsEp?.address ?? "off", introspection: introEp.address },
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
    this.#abort.abort();
    await p.kube?.stop();
    await p.gone?.stop();
    await p.api?.close();
    await p.pool?.stop();
    await p.cleaner?.stop();
    const saved = await p.durable.persist();
    if (!saved.ok) this.#d.log.error({ err: saved.error.message }, "final checkpoint write failed");
    p.durable.close();
    for (const h of p.http) await h.close();
    await p.plumbing.drain?.(); // veths DEL retired but the kernel has not deleted yet
    p.plumbing.close?.();
    p.ns.close();
    p.ec2.close?.();
    this.#d.log.info("ipamd stopped");
  }

  /** Kubernetes clients, or undefined (logged once) when ipamd runs without Kubernetes. */
  async #kubeClients(): Promise<K8sClients | undefined> {
    const { settings: s, kubeconfig, log } = this.#d;
    if (kubeconfig === undefined) {
      if (s.customNetworking)
        throw new StartupConfigError(
          "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true needs the Kubernetes API (the node's ENIConfig), " +
            "but ipamd has no kubeconfig: not in a pod (KUBERNETES_SERVICE_HOST unset) and KUBECONFIG unset",
        );
      log.info(
        "no Kubernetes API (not in a pod, KUBECONFIG unset): NodeIPAM status, node condition, Events and the pod reconciler are off",
      );
      return undefined;
    }
    if (s.nodeName === undefined) {
      if (s.customNetworking)
        throw new StartupConfigError(
          "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true needs this node's name: set NODE_NAME (or MY_NODE_NAME) from spec.nodeName",
        );
      log.warn("Kubernetes API configured but NODE_NAME / MY_NODE_NAME unset: Kubernetes parts are off");
      return undefined;
    }
    return (await import("../k8s/client.ts")).makeClients(kubeconfig);
  }
}
