// The cluster harness without ipamd: node namespaces bound to emulator
// instances, the emulator reachable from INSIDE each node namespace at its own
// URLs (EC2 and IMDS), nodes reaching each other through the VPC router, and
// destroy() leaving nothing behind.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster } from "../../harness/index.ts";
import { canUseNetns } from "../../support/privileges.ts";

describe.skipIf(!canUseNetns)("cluster harness (no ipamd)", () => {
  let cluster: Cluster;
  let setupMs = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    cluster = await createCluster({
      nodes: [
        { name: "node-a", instanceType: "t3.medium", subnet: 0 },
        { name: "node-b", instanceType: "m5.large", subnet: "10.0.2.0/24" },
      ],
      timeScale: 0,
      startIpamd: false,
    });
    setupMs = performance.now() - t0;
    console.log(`createCluster (2 nodes, no ipamd): ${setupMs.toFixed(0)} ms`);
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("puts each node in its subnet with the primary ENI configured", async () => {
    const [a, b] = cluster.nodes;
    expect(a!.subnetCidr).toBe("10.0.1.0/24");
    expect(b!.subnetCidr).toBe("10.0.2.0/24");
    const r = await cluster.exec("node-a", ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
    expect(r.stdout).toContain(`${a!.privateIp}/24`);
  });

  it("reaches the emulator's IMDS (IMDSv2) from inside a node namespace at the emulator's own URL", async () => {
    const n = cluster.node("node-b");
    const token = await cluster.exec(n, [
      ...["curl", "-sS", "--fail", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60"],
      `${n.imdsEndpoint}latest/api/token`,
    ]);
    expect(token.code).toBe(0);
    const id = await cluster.exec(n, [
      ...["curl", "-sS", "--fail", "-H", `X-aws-ec2-metadata-token: ${token.stdout.trim()}`],
      `${n.imdsEndpoint}latest/meta-data/instance-id`,
    ]);
    expect(id.stdout.trim()).toBe(n.instanceId);
    // And the EC2 endpoint answers (an unsigned request gets an AWS error document, not a connection error).
    const ec2 = await cluster.exec(n, [
      "curl",
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      cluster.emulator.endpoint,
    ]);
    expect(Number(ec2.stdout)).toBeGreaterThan(0);
  });

  it("routes node to node across subnets through the VPC router", async () => {
    expect(await cluster.ping("node-a", cluster.node("node-b").privateIp)).toBe(0);
  });

  it("writes each node's conflist with its ipamd socket and env", () => {
    const n = cluster.node("node-a");
    expect(existsSync(`${n.stateDir}/10-aws.conflist`)).toBe(true);
    expect(n.conflist.plugins[0]).toMatchObject({ type: "vpc-cni", socketPath: n.socketPath });
    expect(n.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"]).toBe(n.imdsEndpoint);
    expect(n.env["NODE_NAME"]).toBe("node-a");
  });

  it("destroy() removes every namespace and the temp dir", async () => {
    const prefix = cluster.prefix;
    const dir = cluster.tmpDir;
    await cluster.destroy();
    const left = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.startsWith(`${prefix}-`));
    expect(left).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
