// The executor with a scripted Ec2Api (its collaborator) and a real Datastore.
import { describe, expect, it } from "vitest";
import { type Ec2Api, Ec2Error, type NetworkInterface } from "../../../cloud/ec2/types.ts";
import { ImdsError } from "../../../cloud/imds/errors.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { Executor } from "../../../ipamd/executor/executor.ts";
import { silentLogger } from "../../../ipamd/log.ts";
import { ENI_1 } from "./eni-fixture.ts";

type Calls = { name: string; arg: unknown }[];

function fakeEc2(over: Partial<Ec2Api>, calls: Calls): Ec2Api {
  const rec = (name: string, impl?: (arg: never) => Promise<unknown>) => async (arg: never) => {
    calls.push({ name, arg });
    if (impl) return impl(arg);
    throw new Error(`unexpected call ${name}`);
  };
  const base: Record<string, unknown> = {};
  for (const n of [
    "describeInstances",
    "describeNetworkInterfaces",
    "describeSubnets",
    "describeInstanceTypes",
    "createNetworkInterface",
    "attachNetworkInterface",
    "detachNetworkInterface",
    "deleteNetworkInterface",
    "assignPrivateIpAddresses",
    "unassignPrivateIpAddresses",
    "setDeleteOnTermination",
    "createTags",
  ]) {
    const impl = (over as Record<string, ((a: never) => Promise<unknown>) | undefined>)[n];
    base[n] = rec(n, impl);
  }
  return base as unknown as Ec2Api;
}

function setup(ec2: Ec2Api, imdsEnis: () => Promise<never[]> = async () => []) {
  const ds = new Datastore({ cooldownMs: 30_000 });
  ds.upsertEni({ ...ENI_1 });
  const hostCalls: string[] = [];
  const ex = new Executor({
    ec2,
    imds: {
      identity: async () => ({}) as never,
      enis: imdsEnis,
      eni: async (mac: string) => (await imdsEnis()).find((e: { mac: string }) => e.mac === mac),
    },
    ds,
    host: {
      setup: async (e) => void hostCalls.push(`setup ${e.id}`),
      teardown: async (e) => void hostCalls.push(`teardown ${e.id}`),
    },
    tags: { clusterName: "c", nodeName: "n", instanceId: "i-1" },
    log: silentLogger(),
    sleep: async () => undefined,
    waitMs: 50,
    pollMs: 1,
    imdsPollMs: 1,
  });
  return { ds, ex, hostCalls };
}

const limitErr = new Ec2Error({
  kind: "limit",
  code: "AttachmentLimitExceeded",
  action: "AttachNetworkInterface",
  message: "m",
});

/** What CreateNetworkInterface answers for a new ENI with these secondary addresses. */
const newEni = (secondaryIps: string[]): NetworkInterface => ({
  id: "eni-new",
  subnetId: "subnet-1",
  vpcId: "v",
  availabilityZone: "a",
  macAddress: "02:00:00:00:00:09",
  status: "available",
  description: "",
  primaryIp: "10.0.1.50",
  secondaryIps,
  prefixes: [],
  securityGroupIds: [],
  tags: {},
});

/** What IMDS shows for a new ENI once its attachment completed (device 2). */
const imdsEniOf = (created: NetworkInterface) => ({
  mac: created.macAddress,
  deviceNumber: 2,
  networkCard: 0,
  interfaceId: created.id,
  subnetId: "subnet-1",
  subnetCidr: "10.0.1.0/24",
  localIpv4s: [],
  ipv4Prefixes: [],
  securityGroupIds: [],
  vpcCidrs: [],
});

describe("Executor", () => {
  it("records only the addresses EC2 says it added", async () => {
    const calls: Calls = [];
    const { ds, ex } = setup(
      fakeEc2({ assignPrivateIpAddresses: async () => ({ ips: ["10.0.1.7"], prefixes: [] }) }, calls),
    );
    ds.addIps("eni-1", ["10.0.1.5"]);
    await ex.apply({ kind: "assign-ips", eniId: "eni-1", count: 3 });
    expect(ds.ipsOf("eni-1").ips).toEqual(["10.0.1.5", "10.0.1.7"]);
  });

  it("an address EC2 assigns here that the datastore has on another ENI is reported, the rest added", async () => {
    // 10.0.1.5 was taken from eni-2 behind ipamd's back (a pod holds it there)
    // and EC2 now hands it to eni-1 with 10.0.1.7.
    const calls: Calls = [];
    const { ds, ex } = setup(
      fakeEc2(
        { assignPrivateIpAddresses: async () => ({ ips: ["10.0.1.5", "10.0.1.7"], prefixes: [] }) },
        calls,
      ),
    );
    ds.upsertEni({
      ...ENI_1,
      id: "eni-2",
      mac: "02:00:00:00:00:02",
      deviceIndex: 2,
      primaryIp: "10.0.1.101",
    });
    ds.addIps("eni-2", ["10.0.1.5"]);
    const done = await ex.apply({ kind: "assign-ips", eniId: "eni-1", count: 2 });
    expect(done.takenElsewhere).toEqual(["10.0.1.5"]);
    expect(done.changed.addresses).toEqual(["10.0.1.7"]);
    expect(ds.ipsOf("eni-1").ips).toEqual(["10.0.1.7"]);
    expect(ds.ipsOf("eni-2").ips).toEqual(["10.0.1.5"]); // moved by the resync, not here
  });

  it("releases only addresses still free, and puts them back if EC2 refuses", async () => {
    const calls: Calls = [];
    let refuse = true;
    const { ds, ex } = setup(
      fakeEc2(
        {
          unassignPrivateIpAddresses: async () => {
            if (refuse)
              throw new Ec2Error({
                kind: "throttled",
                code: "RequestLimitExceeded",
                action: "U",
                message: "m",
              });
          },
        },
        calls,
      ),
    );
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6"]);
    // 10.0.1.5 is taken by a pod between planning and execution
    ds.assign(
      {
        key: { network: "n", containerId: "c", ifName: "eth0" },
        pod: { namespace: "", name: "" },
        netns: "/x",
        hostVeth: "v",
      },
      0,
    );
    await expect(
      ex.apply({ kind: "release-ips", eniId: "eni-1", ips: ["10.0.1.5", "10.0.1.6"] }),
    ).rejects.toThrow(Ec2Error);
    expect(calls.at(-1)?.arg).toEqual({ eniId: "eni-1", ips: ["10.0.1.6"] });
    expect(ds.ipsOf("eni-1").ips).toEqual(["10.0.1.5", "10.0.1.6"]);
    refuse = false;
    const done = await ex.apply({ kind: "release-ips", eniId: "eni-1", ips: ["10.0.1.5", "10.0.1.6"] });
    expect(done.scaledDown).toBe(true);
    expect(ds.ipsOf("eni-1").ips).toEqual(["10.0.1.5"]);
  });

  it("rolls a new ENI back (delete) when attaching fails, and records nothing", async () => {
    const calls: Calls = [];
    const created = newEni(["10.0.1.51"]);
    const { ds, ex } = setup(
      fakeEc2(
        {
          createNetworkInterface: async () => created,
          attachNetworkInterface: async () => {
            throw limitErr;
          },
          deleteNetworkInterface: async () => undefined,
        },
        calls,
      ),
    );
    await expect(
      ex.apply({
        kind: "create-eni",
        subnetId: "subnet-1",
        securityGroupIds: ["sg"],
        deviceIndex: 2,
        ipCount: 1,
        prefixCount: 0,
      }),
    ).rejects.toBe(limitErr);
    expect(calls.map((c) => c.name)).toEqual([
      "createNetworkInterface",
      "attachNetworkInterface",
      "deleteNetworkInterface",
    ]);
    const createArg = calls[0]?.arg as {
      tags: Record<string, string>;
      description: string;
      secondaryIpCount: number;
    };
    expect(createArg.tags).toMatchObject({
      "node.k8s.amazonaws.com/instance_id": "i-1",
      "cluster.k8s.amazonaws.com/name": "c",
    });
    expect(createArg.description).toBe("aws-K8S-i-1");
    expect(createArg.secondaryIpCount).toBe(1);
    expect(ds.eni("eni-new")).toBeUndefined();
  });

  it("a new ENI whose addresses include one the datastore has elsewhere is kept, that address reported", async () => {
    const calls: Calls = [];
    const created = newEni(["10.0.1.5", "10.0.1.51"]);
    const imdsEni = imdsEniOf(created);
    const { ds, ex, hostCalls } = setup(
      fakeEc2(
        {
          createNetworkInterface: async () => created,
          attachNetworkInterface: async () => ({ attachmentId: "att-1", networkCardIndex: 0 }),
        },
        calls,
      ),
      async () => [imdsEni as never],
    );
    ds.addIps("eni-1", ["10.0.1.5"]); // taken from eni-1 behind ipamd's back
    const done = await ex.apply({
      kind: "create-eni",
      subnetId: "subnet-1",
      securityGroupIds: ["sg"],
      deviceIndex: 2,
      ipCount: 2,
      prefixCount: 0,
    });
    expect(done.takenElsewhere).toEqual(["10.0.1.5"]);
    expect(ds.ipsOf("eni-new").ips).toEqual(["10.0.1.51"]);
    expect(ds.ipsOf("eni-1").ips).toEqual(["10.0.1.5"]);
    expect(hostCalls).toEqual(["setup eni-new"]);
    expect(calls.map((c) => c.name)).not.toContain("deleteNetworkInterface");
  });

  describe("IMDS failing while a new ENI attaches", () => {
    const created = newEni(["10.0.1.51"]);
    const imdsEni = imdsEniOf(created);
    const timeout = new ImdsError({ kind: "unreachable", path: "latest/api/token", message: "TimeoutError" });
    const action = {
      kind: "create-eni" as const,
      subnetId: "subnet-1",
      securityGroupIds: ["sg"],
      deviceIndex: 2,
      ipCount: 1,
      prefixCount: 0,
    };
    const ec2For = (calls: Calls) =>
      fakeEc2(
        {
          createNetworkInterface: async () => created,
          attachNetworkInterface: async () => ({ attachmentId: "att-1", networkCardIndex: 0 }),
          detachNetworkInterface: async () => undefined,
          describeNetworkInterfaces: async () => [{ ...created, status: "available" }],
          deleteNetworkInterface: async () => undefined,
        },
        calls,
      );

    // [what IMDS does on the n-th read (0-based), whether the ENI is kept]
    type Read = ImdsError | "absent" | "found";
    const cases: [string, (n: number) => Read, boolean][] = [
      ["two timeouts, then the ENI", (n) => (n < 2 ? timeout : "found"), true],
      [
        "a 5xx, absent, then the ENI",
        (n) =>
          [new ImdsError({ kind: "http", path: "p", message: "HTTP 503" }), "absent" as const][n] ?? "found",
        true,
      ],
      ["timeouts until the deadline", () => timeout, false],
    ];
    it.each(cases)("%s", async (_name, read, kept) => {
      const calls: Calls = [];
      let reads = 0;
      const { ds, ex } = setup(ec2For(calls), async () => {
        const f = read(reads++);
        if (f instanceof ImdsError) throw f;
        return f === "absent" ? [] : [imdsEni as never];
      });
      const run = ex.apply(action);
      if (kept) {
        await run;
        expect(ds.ipsOf("eni-new").ips).toEqual(["10.0.1.51"]);
        expect(calls.map((c) => c.name)).not.toContain("deleteNetworkInterface");
      } else {
        await expect(run).rejects.toThrow(
          /timed out waiting for ENI eni-new in IMDS \(last error: IMDS latest\/api\/token: TimeoutError\)/,
        );
        expect(ds.eni("eni-new")).toBeUndefined();
        expect(calls.map((c) => c.name)).toContain("deleteNetworkInterface");
      }
    });

    it("an authorization failure is not waited out", async () => {
      const calls: Calls = [];
      const denied = new ImdsError({ kind: "unauthorized", path: "p", message: "HTTP 403" });
      let reads = 0;
      const { ex } = setup(ec2For(calls), async () => {
        reads++;
        throw denied;
      });
      await expect(ex.apply(action)).rejects.toBe(denied);
      expect(reads).toBe(1);
      expect(calls.map((c) => c.name)).toContain("deleteNetworkInterface");
    });
  });

  it("does not delete an ENI that holds a pod", async () => {
    const calls: Calls = [];
    const { ds, ex } = setup(fakeEc2({}, calls));
    ds.addIps("eni-1", ["10.0.1.5"]);
    ds.assign(
      {
        key: { network: "n", containerId: "c", ifName: "eth0" },
        pod: { namespace: "", name: "" },
        netns: "/x",
        hostVeth: "v",
      },
      0,
    );
    const done = await ex.apply({ kind: "delete-eni", eniId: "eni-1" });
    expect(done.scaledDown).toBe(false);
    expect(calls).toEqual([]);
  });
});
