// The faults the soak inflicts besides the emulator's error rate: SIGKILL of
// ipamd (one of them in the middle of a checkpoint write), an ENI detached and
// an address unassigned behind ipamd's back, a node terminated.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Checkpoint, decodeCheckpoint } from "../../ipamd/datastore/checkpoint.ts";
import type { Cluster } from "../harness/index.ts";
import { pick, type Rng } from "../support/rng.ts";
import { detachEni, isNotAssigned, keepOnTermination, terminate, unassignIp } from "./ec2-direct.ts";
import type { Ledger, Taint } from "./ledger.ts";
import { eniHolding } from "./ownership.ts";
import type { PodRuntime } from "./pods.ts";

export const CHECKPOINT_FILE = "ipam-checkpoint.json";

export async function killAndRestart(cluster: Cluster, node: string, rng: Rng): Promise<void> {
  await cluster.killIpamd(node, "SIGKILL");
  await new Promise((r) => setTimeout(r, Math.floor(rng() * 1500))); // down for a random while
  await cluster.startIpamd(node);
}

/**
 * Arms ipamd's test-only checkpoint trap (ipamd/datastore/checkpoint-trap.ts),
 * waits until a save is held halfway through overwriting one of the two slots,
 * SIGKILLs ipamd there, and checks what a crash at that point must leave: the
 * torn slot never taken for the state, the other slot's (previous) state read.
 */
export async function killMidCheckpoint(cluster: Cluster, node: string, trapFile: string, ledger: Ledger) {
  const hit = `${trapFile}.hit`;
  rmSync(hit, { force: true });
  writeFileSync(trapFile, "armed\n");
  const deadline = Date.now() + 30_000;
  while (!existsSync(hit) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(hit)) {
    rmSync(trapFile, { force: true });
    ledger.violate(`${node}: no checkpoint write within 30 s of arming the trap`);
    return;
  }
  await cluster.killIpamd(node, "SIGKILL");
  rmSync(hit, { force: true });
  const n = cluster.node(node);
  const file = join(n.stateDir, CHECKPOINT_FILE);
  const cp = new Checkpoint(file);
  const loaded = await cp.load();
  if (!loaded.ok)
    ledger.violate(`${node}: checkpoint unreadable after a kill mid-write: ${loaded.error.message}`);
  const torn = cp.slotFiles.filter((f) => existsSync(f) && !decodeCheckpoint(f, readFileSync(f, "utf8")).ok);
  if (torn.length !== 1)
    ledger.violate(`${node}: ${torn.length} torn slots after the kill, expected 1 (mid-write)`);
  await cluster.startIpamd(node);
}

/** Detaches one of the node's secondary ENIs through EC2; its addresses become a taint. */
export async function detachBehindBack(cluster: Cluster, node: string, ledger: Ledger, rng: Rng) {
  const n = cluster.node(node);
  const enis = cluster.emulator.admin
    .state()
    .enis.filter(
      (e) =>
        e.attachment?.instanceId === n.instanceId && e.attachment.deviceIndex >= 1 && e.status === "in-use",
    );
  if (enis.length === 0) return ledger.violate(`${node}: no secondary ENI to detach (pool never grew?)`);
  const eni = pick(rng, enis);
  const taint: Taint = {
    node,
    what: `ENI ${eni.id} detached`,
    ips: new Set(eni.secondaryIps),
    eniId: eni.id,
    landed: false,
  };
  ledger.taint(taint);
  try {
    await detachEni(cluster.ec2, eni.attachment!.attachmentId);
  } finally {
    taint.landed = true;
  }
  return eni.id;
}

/**
 * Unassigns, through EC2, one address the node holds and no live pod uses (if
 * any). The pick comes from EC2's state; ipamd may release that very address
 * (scale-down) before the call lands, which EC2 answers with "not assigned":
 * then another pick (a few times).
 */
export async function unassignBehindBack(cluster: Cluster, node: string, ledger: Ledger, rng: Rng) {
  const n = cluster.node(node);
  for (let attempt = 1; ; attempt++) {
    const used = new Set(ledger.livePods(node).map((p) => p.ip));
    const enis = cluster.emulator.admin
      .state()
      .enis.filter((e) => e.attachment?.instanceId === n.instanceId && e.status === "in-use");
    const all = enis.flatMap((e) => e.secondaryIps.map((ip) => ({ eni: e.id, ip })));
    const free = all.filter((x) => !used.has(x.ip));
    const choice = free.length > 0 ? pick(rng, free) : all.length > 0 ? pick(rng, all) : undefined;
    if (!choice) return ledger.violate(`${node}: no secondary address to unassign`);
    // Tainted before the call: a check must never see the casualty untainted.
    const taint: Taint = {
      node,
      what: `address ${choice.ip} unassigned from ${choice.eni}`,
      ips: new Set([choice.ip]),
      landed: false,
    };
    ledger.taint(taint);
    try {
      await unassignIp(cluster.ec2, choice.eni, choice.ip);
      return choice.ip;
    } catch (e) {
      if (!isNotAssigned(e) || attempt >= 5) throw e;
    } finally {
      taint.landed = true;
    }
  }
}

/**
 * Kills the node's ipamd, terminates its instance, drops its pods' sandboxes
 * (the node is gone). ipamd sets DeleteOnTermination on the ENIs it attaches;
 * clearing it first makes them outlive the instance, as they do on AWS when a
 * node dies between attach and that call: the leaks the cleaner must find.
 */
export async function terminateNode(cluster: Cluster, node: string, pods: PodRuntime, ledger: Ledger) {
  const n = cluster.node(node);
  const secondary = cluster.emulator.admin
    .state()
    .enis.filter((e) => e.attachment?.instanceId === n.instanceId && e.attachment.deviceIndex >= 1);
  await cluster.killIpamd(node, "SIGKILL");
  for (const e of secondary) await keepOnTermination(cluster.ec2, e.id, e.attachment!.attachmentId);
  await terminate(cluster.ec2, n.instanceId);
  for (const p of ledger.livePods(node)) {
    await pods.dropSandbox(p.netns);
    ledger.live.delete(p.id);
  }
  return secondary;
}

/** Marks a taint cleared once ipamd's own view agrees with EC2 about its addresses. */
export async function refreshTaints(cluster: Cluster, ledger: Ledger, deadNodes: ReadonlySet<string>) {
  const pending = ledger.taints.filter(
    (t) => t.clearedAt === undefined && t.landed && !deadNodes.has(t.node),
  );
  if (pending.length === 0) return;
  const enis = cluster.emulator.admin.state().enis;
  for (const t of pending) {
    if (t.eniId !== undefined) {
      for (const ip of enis.find((e) => e.id === t.eniId)?.secondaryIps ?? []) t.ips.add(ip);
      for (const p of ledger.livePods(t.node)) ledger.markIfCasualty(p);
    }
    let view: { id: string; ips: string[] }[];
    try {
      view = (await cluster.introspect(t.node)) as { id: string; ips: string[] }[];
    } catch {
      continue; // ipamd restarting
    }
    const agrees = [...t.ips].every((ip) => {
      const mine = view.find((e) => e.ips.includes(ip))?.id;
      const ec2 = eniHolding(enis, ip);
      const ec2Mine =
        ec2?.attachment?.instanceId === cluster.node(t.node).instanceId && ec2.status === "in-use"
          ? ec2.id
          : undefined;
      return mine === ec2Mine;
    });
    if (agrees) {
      t.clearedAt = performance.now();
      for (const p of ledger.livePods(t.node)) ledger.markIfCasualty(p);
    }
  }
}
