// One of our nodes in the scale simulation: the real PoolLoop + Executor +
// Datastore wired as ipamd/daemon/daemon.ts wires them, default settings,
// its own EC2 client with the shipped client-side rate limit and retry
// policy (time-scaled). Not simulated here: pods, host plumbing (no-op
// EniHost), recovery, and the periodic IMDS/EC2 resync (observe() returns the
// datastore's own view; the resync's DescribeSubnets still goes to EC2).
import { createEc2Client } from "../../cloud/ec2/client.ts";
import { DEFAULT_RETRY_POLICY } from "../../cloud/ec2/retry.ts";
import type { Ec2CallRecord } from "../../cloud/ec2/types.ts";
import { createImdsClient } from "../../cloud/imds/client.ts";
import { INSTANCE_TYPES } from "../../cloud/limits/instance-types.ts";
import { instanceLimits } from "../../cloud/limits/limits.ts";
import { parseSettings, toPoolSettings } from "../../ipamd/config/settings.ts";
import { Datastore } from "../../ipamd/datastore/datastore.ts";
import type { EniHost } from "../../ipamd/executor/eni-host.ts";
import { Executor } from "../../ipamd/executor/executor.ts";
import { type PoolState, plannerInput } from "../../ipamd/executor/input.ts";
import { PoolLoop } from "../../ipamd/executor/pool-loop.ts";
import { createLogger, silentLogger } from "../../ipamd/log.ts";
import { IpamdMetrics } from "../../ipamd/metrics/metrics.ts";
import { plan } from "../../ipamd/planner/plan.ts";
import { IMDS_POLL_MS, POD_RETRY_MS, PODS_AT_JOIN, type SimPolicyNode } from "./node.ts";
import { clientBuckets, scaledRetry, simRequestTimeoutMs } from "./time.ts";
import type { SimNode } from "./world.ts";

const noopHost: EniHost = { setup: async () => undefined, teardown: async () => undefined };

export function oursNode(
  n: SimNode,
  ctx: {
    endpoint: string;
    region: string;
    instanceType: string;
    s: number;
    onCall: (r: Ec2CallRecord) => void;
  },
): SimPolicyNode {
  const settings = parseSettings({});
  const ec2 = createEc2Client({
    endpoint: ctx.endpoint,
    region: ctx.region,
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    requestTimeoutMs: simRequestTimeoutMs(ctx.s),
    rateLimits: { buckets: clientBuckets(ctx.s) },
    retry: scaledRetry(DEFAULT_RETRY_POLICY, ctx.s),
    onCall: ctx.onCall,
  });
  const imds = createImdsClient({ endpoint: n.imdsEndpoint });
  const ds = new Datastore({ cooldownMs: settings.ipCooldownMs, podsOnPrimaryEni: true });
  ds.upsertEni({
    id: n.primary.id,
    mac: n.primary.mac,
    deviceIndex: 0,
    primary: true,
    subnetId: n.subnetId,
    subnetCidr: n.subnetCidr,
    primaryIp: n.primary.primaryIp,
    attachedAtMs: Date.now(),
  });
  const state: PoolState = {
    settings: toPoolSettings(settings),
    limits: instanceLimits(INSTANCE_TYPES[ctx.instanceType]!),
    subnet: { id: n.subnetId, securityGroupIds: n.securityGroupIds },
    podsOnPrimaryEni: true,
    pendingDemand: 0,
    lastScaleDownMs: 0,
  };
  const log = process.env["SCALE_LOG"]
    ? createLogger({ level: "warn" }).child({ node: n.instanceId })
    : silentLogger();
  const executor = new Executor({
    ec2,
    imds,
    ds,
    host: noopHost,
    tags: { clusterName: "scale", nodeName: n.instanceId, instanceId: n.instanceId },
    log,
    // IMDS poll after attach: 1 s (AWS time) instead of ipamd's 200 ms, in both
    // policies: each poll is ~30 IMDS GETs, and 1,000 nodes polling 5x as often
    // would saturate this one process. Costs each node <= 1 s of detection delay.
    pollMs: IMDS_POLL_MS * ctx.s,
    waitMs: 30_000 * ctx.s,
  });
  const pool = new PoolLoop({
    ds,
    executor,
    host: noopHost,
    ec2,
    observe: async () => ({
      pool: ds.enis().map((e) => ({ ...e, ...ds.ipsOf(e.id) })),
      owned: new Set<string>(),
      skipped: [],
      imdsOnly: false,
    }),
    state,
    provisioning: true,
    instanceId: n.instanceId,
    intervalMs: settings.reconcileIntervalMs * ctx.s,
    metrics: new IpamdMetrics(),
    log,
  });
  // The join-time pods: an ADD that finds no address wakes the pool (as the
  // API handler does) and is retried by the runtime a second later.
  let waiting = PODS_AT_JOIN;
  let podTimer: NodeJS.Timeout | undefined;
  const tryPods = () => {
    while (waiting > 0) {
      const i = PODS_AT_JOIN - waiting;
      const r = ds.assign(
        {
          key: { network: "aws-cni", containerId: `${n.instanceId}-${i}`, ifName: "eth0" },
          pod: { namespace: "kube-system", name: `ds-${i}` },
          netns: `/var/run/netns/pod-${i}`,
          hostVeth: `eni${i}`,
        },
        Date.now(),
      );
      if (!r.ok) {
        pool.wake();
        break;
      }
      waiting--;
    }
    if (waiting > 0) podTimer = setTimeout(tryPods, POD_RETRY_MS * ctx.s);
  };
  return {
    start: () => {
      void pool.kick(false);
      pool.start();
      tryPods();
    },
    ready: () => {
      const now = Date.now();
      const r = plan(plannerInput(state, ds.toPlannerEnis(now), now));
      return waiting === 0 && r.deficit === 0 && r.actions.length === 0;
    },
    waitingPods: () => waiting,
    stop: async () => {
      clearTimeout(podTimer);
      await pool.stop();
      ec2.close();
    },
  };
}
