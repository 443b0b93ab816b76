// The simulated cluster: the EC2+IMDS emulator with the netns VPC data plane,
// one network namespace per node bound to its EC2 instance, one ipamd per node
// running INSIDE that namespace, and a container runtime for pods.
//
// Reaching the emulator from a node namespace: the emulator listens on
// 127.0.0.1 in the root namespace. For each node the harness opens a listening
// socket inside the node namespace on the emulator's port(s) and pipes it to
// the real one (ns-proxy.ts), so ipamd uses the emulator's URLs verbatim and
// nothing is added to the root namespace (no veth, address or route).

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DescribeSubnetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import {
  createNetnsDataPlane,
  type InternetHost,
  type NetnsDataPlane,
} from "../../cloud/emulator/dataplane/netns-dataplane.ts";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../cloud/emulator/index.ts";
import { delNetnsSync, killPidSync, rmDirSync, trackCluster } from "./cleanup.ts";
import type { ConfList } from "./cni-runner.ts";
import { type IpamdProc, startIpamd, waitIpamdReady } from "./ipamd-process.ts";
import { addKubeNode, type ClusterKube, createPodObject, startKube } from "./kube.ts";
import { HarnessError, runNames } from "./names.ts";
import { type NsProxy, proxyIntoNetns } from "./ns-proxy.ts";
import { netnsExec, run } from "./proc.ts";
import { createRuntime, type Pod, type Runtime } from "./runtime.ts";
import { createVpc, ec2Client, runInstance, type WorldSubnet } from "./world.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface NodeSpec {
  name: string;
  instanceType: string;
  /** Index into the cluster's subnets, or one of their CIDRs. Default 0. */
  subnet?: number | string;
  prefixDelegation?: boolean;
  /** Extra ipamd environment for this node (wins over the cluster's). */
  env?: Record<string, string>;
  /** With Kubernetes: the Node's status.capacity.pods (kubelet's max pods); default unset. */
  maxPods?: number;
}

export interface ClusterOptions {
  nodes: NodeSpec[];
  /** Emulator delays are multiplied by this (0.01 = 100x faster, 0 = instant). Default 1. */
  timeScale?: number;
  /** Any other emulator option (latency, throttle, faults, ...); dataPlane and port are the harness's. */
  emulator?: Omit<EmulatorOptions, "dataPlane" | "port" | "host" | "timeScale" | "region">;
  clusterName?: string;
  region?: string;
  vpcCidr?: string;
  subnetCidrs?: string[];
  /** ipamd environment for every node. */
  env?: Record<string, string>;
  /** Plugins chained after vpc-cni in every node's conflist. */
  chain?: Record<string, unknown>[];
  cniVersion?: string;
  cniPath?: string[];
  /** Start ipamd on every node and wait until it reports ready. Default true. */
  startIpamd?: boolean;
  ipamdReadyTimeoutMs?: number;
  /** addPod retries an ADD answered "try again later" (CNI error 11) for this long, as kubelet does. Default 30 s; 0 = never. */
  addPodRetryMs?: number;
  /**
   * Run a stand-in Kubernetes API server (test/harness/kube.ts): CRDs, a Node
   * object per node, KUBECONFIG for every ipamd, and addPod/delPod also
   * create/delete Pod objects. Default false: no Kubernetes, as before.
   */
  kubernetes?: boolean;
}

export interface ClusterNode {
  name: string;
  netns: string;
  instanceId: string;
  instanceType: string;
  subnetId: string;
  subnetCidr: string;
  privateIp: string;
  prefixDelegation: boolean;
  stateDir: string;
  socketPath: string;
  logFile: string;
  introspectionAddress: string;
  metricsAddress: string;
  imdsEndpoint: string;
  /** The full ipamd environment. */
  env: Record<string, string>;
  conflist: ConfList;
  ipamd: IpamdProc | undefined;
}

type NodeRef = ClusterNode | string;

export interface Cluster {
  readonly prefix: string;
  readonly tmpDir: string;
  readonly emulator: Emulator;
  readonly ec2: EC2Client;
  readonly dataPlane: NetnsDataPlane;
  /**
   * A host on the internet behind the VPC router's internet gateway: only a
   * node's primary IP (its primary ENI's primary private IP) reaches it, so a
   * pod does only when its node SNATs it (the data plane's README).
   */
  readonly internet: InternetHost;
  readonly vpcId: string;
  readonly subnets: WorldSubnet[];
  readonly nodes: ClusterNode[];
  readonly runtime: Runtime;
  /** Only with `kubernetes: true`. */
  readonly kube?: ClusterKube;
  node(name: string): ClusterNode;
  addPod(node: NodeRef, pod: { namespace: string; name: string }): Promise<Pod>;
  delPod(pod: Pod): Promise<void>;
  checkPod(pod: Pod): Promise<void>;
  exec(target: Pod | NodeRef, cmd: string[]): ReturnType<Runtime["exec"]>;
  /** Packet loss in percent. */
  ping(from: Pod | NodeRef, toIp: string, count?: number): Promise<number>;
  startIpamd(node: NodeRef, opts?: { waitReady?: boolean }): Promise<void>;
  restartIpamd(node: NodeRef): Promise<void>;
  killIpamd(node: NodeRef, signal?: NodeJS.Signals): Promise<void>;
  /** GET on ipamd's introspection server (inside the node namespace), parsed as JSON. */
  introspect(node: NodeRef, path?: string): Promise<unknown>;
  /** ipamd's Prometheus text. */
  metrics(node: NodeRef): Promise<string>;
  destroy(): Promise<void>;
}

export async function createCluster(opts: ClusterOptions): Promise<Cluster> {
  const names = runNames();
  const region = opts.region ?? "us-west-2";
  const clusterName = opts.clusterName ?? `sim-${names.prefix}`;
  const tmpDir = mkdtempSync(join(tmpdir(), `${names.prefix}-`));
  const nodes: ClusterNode[] = [];
  const nodeNetns: string[] = [];
  const proxies: NsProxy[] = [];
  const dataPlane = createNetnsDataPlane({ prefix: names.prefix });
  const runtime = createRuntime({
    names,
    cniPath: opts.cniPath ?? [join(REPO, "build"), "/usr/lib/cni"],
    nodes: () => nodes,
    tryAgainForMs: opts.addPodRetryMs ?? 30_000,
  });
  let emulator: Emulator | undefined;
  let kube: Awaited<ReturnType<typeof startKube>> | undefined;
  let destroyed = false;
  const untrack = trackCluster({
    cleanupSync() {
      for (const n of nodes) killPidSync(n.ipamd?.pid);
      for (const ns of [...runtime.podNetnsNames(), ...nodeNetns]) {
        names.assertOurs(ns);
        delNetnsSync(ns);
      }
      rmDirSync(tmpDir);
    },
  });

  const nodeOf = (ref: NodeRef): ClusterNode => {
    const n = typeof ref === "string" ? nodes.find((x) => x.name === ref) : ref;
    if (!n) throw new HarnessError(`no node ${String(ref)}`);
    return n;
  };

  async function destroy(): Promise<void> {
    if (destroyed) return;
    destroyed = true;
    await Promise.all(nodes.map((n) => n.ipamd?.stop(3000)));
    for (const p of proxies) await p.close();
    await kube?.close().catch(() => undefined);
    await emulator?.close().catch(() => undefined);
    await dataPlane.close(); // idempotent: the emulator may have closed it already
    for (const ns of [...runtime.podNetnsNames(), ...nodeNetns]) {
      names.assertOurs(ns);
      await run("ip", ["netns", "del", ns]);
    }
    rmDirSync(tmpDir);
    untrack();
  }

  try {
    emulator = await startEmulator({
      ...opts.emulator,
      host: "127.0.0.1",
      port: 0,
      timeScale: opts.timeScale ?? 1,
      dataPlane,
      region,
    });
    const emu = emulator;
    const ec2 = ec2Client(emu.endpoint, region);
    const subnetCidrs = opts.subnetCidrs ?? ["10.0.1.0/24", "10.0.2.0/24"];
    const { vpcId, subnets } = await createVpc(ec2, opts.vpcCidr ?? "10.0.0.0/16", subnetCidrs);
    if (opts.kubernetes) kube = await startKube(tmpDir);

    for (const [i, spec] of opts.nodes.entries()) {
      const subnet =
        typeof spec.subnet === "string"
          ? subnets.find((s) => s.cidr === spec.subnet)
          : subnets[spec.subnet ?? 0];
      if (!subnet) throw new HarnessError(`node ${spec.name}: no subnet ${String(spec.subnet)}`);
      const netns = names.nodeNetns(spec.name);
      const mk = await run("ip", ["netns", "add", netns]);
      if (mk.code !== 0) throw new HarnessError(`ip netns add ${netns}: ${mk.stderr.trim()}`);
      nodeNetns.push(netns);
      // What the node OS (EKS AMI) sets before aws-node starts.
      await run("ip", ["-n", netns, "link", "set", "lo", "up"]);
      await netnsExec(netns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);

      const inst = await runInstance(ec2, {
        instanceType: spec.instanceType,
        subnetId: subnet.id,
        name: spec.name,
        clusterName,
      });
      await emu.admin.bindInstance(inst.instanceId, netns);
      const imdsEndpoint = emu.imdsEndpointFor(inst.instanceId);
      for (const port of loopbackPorts([emu.endpoint, imdsEndpoint, ...(kube ? [kube.url] : [])]))
        proxies.push(proxyIntoNetns(netns, port));

      const stateDir = join(tmpDir, spec.name);
      mkdirSync(stateDir, { recursive: true });
      const socketPath = join(stateDir, "ipamd.sock");
      const metricsAddress = `127.0.0.1:${61678 + 2 * i}`;
      const introspectionAddress = `127.0.0.1:${61679 + 2 * i}`;
      const conflist: ConfList = {
        cniVersion: opts.cniVersion ?? "1.0.0",
        name: "aws-cni",
        plugins: [{ type: "vpc-cni", mtu: 9001, vethPrefix: "eni", socketPath }, ...(opts.chain ?? [])],
      };
      writeFileSync(join(stateDir, "10-aws.conflist"), `${JSON.stringify(conflist, null, 2)}\n`);
      const kubeEnv: Record<string, string> = {};
      if (kube) {
        const sn = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.id] }));
        const zone = sn.Subnets?.[0]?.AvailabilityZone ?? `${region}a`;
        kubeEnv.KUBECONFIG = addKubeNode(kube, {
          name: spec.name,
          instanceType: spec.instanceType,
          zone,
          stateDir,
          ...(spec.maxPods === undefined ? {} : { maxPods: spec.maxPods }),
        });
      }
      // Kubernetes only when asked: never inherit the caller's API access.
      const {
        NODE_EXTRA_CA_CERTS: _drop,
        KUBECONFIG: _kc,
        KUBERNETES_SERVICE_HOST: _ksh,
        ...parentEnv
      } = process.env;
      const env: Record<string, string> = {
        ...(parentEnv as Record<string, string>),
        AWS_ENDPOINT_URL_EC2: emu.endpoint,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsEndpoint,
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: "AKIAEMULATOR",
        AWS_SECRET_ACCESS_KEY: "emulator",
        VPC_CNI_SOCKET_PATH: socketPath,
        VPC_CNI_STATE_DIR: stateDir,
        VPC_CNI_INTROSPECTION_ADDRESS: introspectionAddress,
        VPC_CNI_METRICS_ADDRESS: metricsAddress,
        CLUSTER_NAME: clusterName,
        NODE_NAME: spec.name,
        ENABLE_PREFIX_DELEGATION: spec.prefixDelegation ? "true" : "false",
        ...kubeEnv,
        ...opts.env,
        ...spec.env,
      };
      nodes.push({
        name: spec.name,
        netns,
        instanceId: inst.instanceId,
        instanceType: spec.instanceType,
        subnetId: subnet.id,
        subnetCidr: subnet.cidr,
        privateIp: inst.privateIp,
        prefixDelegation: spec.prefixDelegation ?? false,
        stateDir,
        socketPath,
        logFile: join(stateDir, "ipamd.log"),
        introspectionAddress,
        metricsAddress,
        imdsEndpoint,
        env,
        conflist,
        ipamd: undefined,
      });
    }

    const readyMs = opts.ipamdReadyTimeoutMs ?? 60_000;
    const startOne = async (n: ClusterNode, waitReady = true) => {
      if (n.ipamd?.running) {
        throw new HarnessError(`ipamd already runs on ${n.name}`);
      }
      n.ipamd = startIpamd({ netns: n.netns, env: n.env, logFile: n.logFile, socketPath: n.socketPath });
      if (waitReady) await waitIpamdReady(n.ipamd, n.socketPath, readyMs, n.logFile);
    };
    if (opts.startIpamd ?? true) await Promise.all(nodes.map((n) => startOne(n)));

    const get = async (n: ClusterNode, addr: string, path: string) => {
      const r = await netnsExec(n.netns, [
        "curl",
        "-sS",
        "--fail",
        "--max-time",
        "5",
        `http://${addr}${path}`,
      ]);
      if (r.code !== 0) throw new HarnessError(`GET ${addr}${path} on ${n.name}: ${r.stderr.trim()}`);
      return r.stdout;
    };

    return {
      prefix: names.prefix,
      tmpDir,
      emulator: emu,
      ec2,
      dataPlane,
      internet: dataPlane.internet,
      vpcId,
      subnets,
      nodes,
      runtime,
      ...(kube ? { kube } : {}),
      node: (name) => nodeOf(name),
      async addPod(node, pod) {
        const n = nodeOf(node);
        if (!kube) return runtime.addPod(n, pod);
        // The Pod object exists before its CNI ADD (scheduler, then kubelet).
        createPodObject(kube, n.name, pod);
        try {
          return await runtime.addPod(n, pod);
        } catch (e) {
          if (kube.podObjectExists(pod)) kube.deletePodObject(pod);
          throw e;
        }
      },
      async delPod(pod) {
        await runtime.delPod(pod);
        if (kube?.podObjectExists(pod)) kube.deletePodObject(pod);
      },
      checkPod: (pod) => runtime.checkPod(pod),
      exec: (t, cmd) => runtime.exec(typeof t === "string" || !("containerId" in t) ? nodeOf(t) : t, cmd),
      ping: (f, ip, count) =>
        runtime.ping(typeof f === "string" || !("containerId" in f) ? nodeOf(f) : f, ip, count),
      startIpamd: (node, o) => startOne(nodeOf(node), o?.waitReady ?? true),
      async restartIpamd(node) {
        const n = nodeOf(node);
        await n.ipamd?.stop();
        await startOne(n);
      },
      async killIpamd(node, signal = "SIGKILL") {
        const n = nodeOf(node);
        n.ipamd?.kill(signal);
        if (signal === "SIGKILL") await n.ipamd?.exited;
      },
      introspect: async (node, path = "/v1/enis") =>
        JSON.parse(await get(nodeOf(node), nodeOf(node).introspectionAddress, path)),
      metrics: (node) => get(nodeOf(node), nodeOf(node).metricsAddress, "/metrics"),
      destroy,
    };
  } catch (e) {
    await destroy().catch(() => undefined);
    throw e;
  }
}

/** Ports of 127.0.0.1/localhost URLs: the ones a node namespace needs proxied. */
function loopbackPorts(urls: string[]): Set<number> {
  const ports = new Set<number>();
  for (const u of urls) {
    const url = new URL(u);
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") {
      throw new HarnessError(`${u}: the harness can only bridge loopback endpoints into node namespaces`);
    }
    ports.add(Number(url.port || (url.protocol === "https:" ? 443 : 80)));
  }
  return ports;
}
