// Builds the EC2 side of a simulated cluster through the emulator's EC2 API,
// exactly as an operator would on AWS: CreateVpc, CreateSubnet, RunInstances.
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { HarnessError } from "./names.ts";

export interface WorldSubnet {
  id: string;
  cidr: string;
}

export interface WorldInstance {
  instanceId: string;
  privateIp: string;
}

export function ec2Client(endpoint: string, region: string): EC2Client {
  return new EC2Client({
    endpoint,
    region,
    credentials: { accessKeyId: "AKIAEMULATOR", secretAccessKey: "emulator" },
    maxAttempts: 5,
  });
}

export async function createVpc(ec2: EC2Client, cidr: string, subnetCidrs: string[]) {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = vpc.Vpc?.VpcId;
  if (!vpcId) throw new HarnessError("CreateVpc returned no VpcId");
  const subnets: WorldSubnet[] = [];
  for (const c of subnetCidrs) {
    // No AvailabilityZone: the emulator's default (<region>a) puts every subnet in one AZ.
    const s = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: c }));
    const id = s.Subnet?.SubnetId;
    if (!id) throw new HarnessError(`CreateSubnet ${c} returned no SubnetId`);
    subnets.push({ id, cidr: c });
  }
  return { vpcId, subnets };
}

export async function runInstance(
  ec2: EC2Client,
  input: { instanceType: string; subnetId: string; name: string; clusterName: string },
): Promise<WorldInstance> {
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-0emulator0000000",
      InstanceType: input.instanceType as never,
      SubnetId: input.subnetId,
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [
        {
          ResourceType: "instance",
          Tags: [
            { Key: "Name", Value: input.name },
            { Key: `kubernetes.io/cluster/${input.clusterName}`, Value: "owned" },
          ],
        },
      ],
    }),
  );
  const inst = r.Instances?.[0];
  if (!inst?.InstanceId || !inst.PrivateIpAddress)
    throw new HarnessError("RunInstances returned no instance");
  return { instanceId: inst.InstanceId, privateIp: inst.PrivateIpAddress };
}
