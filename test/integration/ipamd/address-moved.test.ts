// A pod's address that EC2 moves to another ENI of the node behind ipamd's
// back (someone's AssignPrivateIpAddresses with AllowReassignment; here an
// unassign + an explicit assign): reconcile moves the pod's assignment, and
// the pod's from-rule (`from <pod IP> to <VPC CIDR> lookup <table>`) must follow, or the
// pod's replies leave through an ENI that no longer owns the address and the
// VPC drops them. Both while ipamd runs (the periodic resync) and across a
// restart (recovery).
import { AssignPrivateIpAddressesCommand, UnassignPrivateIpAddressesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subnetGateway } from "../../../ipamd/api/pod-spec.ts";
import type { Cluster, Pod } from "../../harness/index.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { behindBackCluster, nodeRules, until } from "./behind-back.ts";

describe.skipIf(!canUseNetns)("pod address moved to another ENI behind ipamd's back", () => {
  let c: Cluster;
  let pod: Pod;
  /** Every pod's address (never taken as the spare when making room on an ENI). */
  let held: Set<string>;
  beforeAll(async () => {
    // A minimum of 20 needs all three of m5.large's ENIs.
    c = await behindBackCluster(20);
  });
  afterAll(async () => {
    await c?.destroy();
  });

  const rules = () => nodeRules(c);
  const instanceId = () => c.node("a").instanceId;
  /** The node's secondary ENIs as EC2 sees them, by device index. */
  const secondaries = () =>
    c.emulator.admin
      .state()
      .enis.filter((e) => e.attachment?.instanceId === instanceId() && e.attachment.deviceIndex > 0)
      .sort((x, y) => x.attachment!.deviceIndex - y.attachment!.deviceIndex);
  const tableOf = (e: { attachment?: { deviceIndex: number } }) => e.attachment!.deviceIndex + 1;
  // SNAT on the node (the default): the ENI's table only towards the VPC (10.0.0.0/16).
  const ruleFor = (ip: string, table: number) => `from ${ip} to 10.0.0.0/16 lookup ${table}`;
  /**
   * The pod pings its subnet's gateway (the VPC router). The emulator drops
   * what an ENI sends from an address it does not own (EC2's source/destination
   * check), so this fails while the pod's rule names the wrong ENI.
   */
  const reachesRouter = async (p: Pod) => {
    const eni = c.emulator.admin.state().enis.find((e) => e.secondaryIps.includes(p.ip))!;
    const cidr = c.emulator.admin.state().subnets.find((sn) => sn.id === eni.subnetId)!.cidr;
    return (await c.ping(p, subnetGateway(cidr), 2)) === 0;
  };

  /** Unassigns `ip` from its ENI and assigns it to `to` (making room there with one address no pod holds). */
  async function move(ip: string, to: string, held: ReadonlySet<string>): Promise<void> {
    const eni = (id: string) => c.emulator.admin.state().enis.find((e) => e.id === id)!;
    const from = c.emulator.admin.state().enis.find((e) => e.secondaryIps.includes(ip))!;
    const spare = eni(to).secondaryIps.find((x) => !held.has(x));
    expect(spare, `a free address on ${to}`).toBeDefined();
    await c.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: to, PrivateIpAddresses: [spare!] }),
    );
    await c.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: from.id, PrivateIpAddresses: [ip] }),
    );
    await c.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: to, PrivateIpAddresses: [ip] }),
    );
  }

  it("the rule follows while ipamd runs", async () => {
    await until("three ENIs", async () => (secondaries().length === 2 ? true : undefined));
    // Pods until one lands on a secondary ENI (the pick order is the datastore's).
    const pods: Pod[] = [];
    for (
      let i = 0;
      i < 20 && pods.every((p) => !secondaries().some((e) => e.secondaryIps.includes(p.ip)));
      i++
    )
      pods.push(await c.addPod("a", { namespace: "default", name: `moved-${i}` }));
    pod = pods.find((p) => secondaries().some((e) => e.secondaryIps.includes(p.ip)))!;
    expect(pod, "a pod on a secondary ENI").toBeDefined();
    const x = secondaries().find((e) => e.secondaryIps.includes(pod.ip))!;
    const y = secondaries().find((e) => e.id !== x.id)!;
    expect(await rules()).toContain(ruleFor(pod.ip, tableOf(x)));
    expect(await reachesRouter(pod)).toBe(true);
    // ipamd trusts its own changes over EC2 for a minute (IMDS lags); the
    // ENIs were just created: a restart empties that memory.
    await c.restartIpamd("a");
    held = new Set(pods.map((p) => p.ip));
    await move(pod.ip, y.id, held);
    await until("the pod's rule names the new ENI's table", async () =>
      (await rules()).includes(ruleFor(pod.ip, tableOf(y))) ? true : undefined,
    );
    expect(await rules()).not.toContain(ruleFor(pod.ip, tableOf(x)));
    expect(await reachesRouter(pod)).toBe(true);
  });

  it("the rule follows an address moved while ipamd was down, at start", async () => {
    const [x, y] = secondaries();
    const now = secondaries().find((e) => e.secondaryIps.includes(pod.ip))!;
    const back = now.id === x!.id ? y! : x!;
    expect(await rules()).toContain(ruleFor(pod.ip, tableOf(now))); // where the first test left it
    await c.killIpamd("a", "SIGKILL");
    await move(pod.ip, back.id, held);
    await c.startIpamd("a"); // ready = recovery done
    const r = await rules();
    expect(r).toContain(ruleFor(pod.ip, tableOf(back)));
    expect(r).not.toContain(ruleFor(pod.ip, tableOf(now)));
    expect(await reachesRouter(pod)).toBe(true);
  });
});
