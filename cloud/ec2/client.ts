// The Ec2Api facade over @aws-sdk/client-ec2. Every call goes through
// one path (`call`): a token from this node's bucket for the action's class,
// the SDK request (its own retries off), error mapping, our retry policy,
// and one Ec2CallRecord for metrics.

import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  type _InstanceType,
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  UnassignPrivateIpAddressesCommand,
} from "@aws-sdk/client-ec2";
import {
  eniFilters,
  fromSdkEni,
  fromSdkInstance,
  fromSdkInstanceType,
  fromSdkSubnet,
  recordToTags,
} from "./convert.ts";
import { toEc2Error } from "./errors.ts";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  EC2_RATE_FRACTION_ENV,
  type Ec2ClientOptions,
  parseRateFraction,
  resolveEc2Config,
} from "./options.ts";
import { collectPages, newlyAssigned } from "./paginate.ts";
import { actionClass, createRateLimiter, nodeBuckets, type RateLimiter, unlimited } from "./rate-limit.ts";
import {
  DEFAULT_RETRY_POLICY,
  type RetryEnv,
  type RetryPolicy,
  realRetryEnv,
  runWithRetry,
  throttleCap,
} from "./retry.ts";
import type { AssignResult, Ec2Api, NetworkInterface } from "./types.ts";

export type { Ec2ClientOptions } from "./options.ts";

/** How much longer a background call backs off under throttling than a growth call. */
export const BACKGROUND_THROTTLE_FACTOR = 20;
/**
 * A background call waits for this many throttle caps (5 min by default)
 * without a throttle, plus up to as much jitter. A mass join keeps an account
 * throttled for minutes, and an ENI mutation spent on housekeeping is one a
 * joining node waits for: bench:scale (1,000 nodes) measured 590-663
 * DeleteOnTermination calls admitted mid-join with 2 caps, i.e. ~120 s of the
 * ni-mutation bucket (5/s) taken from growth. The cost of waiting: an instance
 * terminated within those minutes leaves its ENIs to the leak cleaner.
 */
export const BACKGROUND_QUIET_CAPS = 10;

export interface Ec2Client extends Ec2Api {
  readonly region: string;
  readonly endpoint: string | undefined;
  /** Closes the SDK's sockets. */
  close(): void;
}

/** Test seams: a fake clock/random for retries and a limiter; not for production use. */
export interface Ec2ClientInternals {
  retryEnv?: RetryEnv;
  limiter?: RateLimiter;
}

function awsFilesExist(): boolean {
  const dir = join(homedir(), ".aws");
  return existsSync(join(dir, "credentials")) || existsSync(join(dir, "config"));
}

export function createEc2Client(
  options: Ec2ClientOptions = {},
  internals: Ec2ClientInternals = {},
): Ec2Client {
  const cfg = resolveEc2Config(options, process.env, awsFilesExist());
  const sdk = new EC2Client({
    region: cfg.region,
    ...(cfg.endpoint !== undefined ? { endpoint: cfg.endpoint } : {}),
    ...(cfg.credentials !== undefined ? { credentials: cfg.credentials } : {}),
    // Ours is the only retry policy: attempts and throttles are then ours to count.
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      // Without it @smithy/node-http-handler (4.x) only logs a warning when
      // requestTimeout passes and keeps waiting: an EC2 call whose answer never
      // comes (a black-holed connection) would hang its pool action forever.
      throwOnRequestTimeout: true,
      connectionTimeout: 3_000,
    },
  });
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const retryEnv = internals.retryEnv ?? realRetryEnv;
  // Background calls (not on any pod's path) yield the account bucket to
  // growth calls: each attempt first waits until this client has seen no
  // throttle of its class for BACKGROUND_QUIET_CAPS x the throttle cap (while
  // the account is busy, its nodes keep seeing throttles), and a throttled
  // attempt backs off BACKGROUND_THROTTLE_FACTOR times longer than a growth call.
  const background: RetryPolicy = {
    ...policy,
    throttleBaseDelayMs: throttleCap(policy),
    throttleMaxDelayMs: throttleCap(policy) * BACKGROUND_THROTTLE_FACTOR,
  };
  const quietMs = throttleCap(policy) * BACKGROUND_QUIET_CAPS;
  // Background waits never keep a process alive (a bench or CLI that closed the client exits).
  const backgroundEnv: RetryEnv =
    retryEnv === realRetryEnv
      ? { random: Math.random, sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref()) }
      : retryEnv;
  const lastThrottled = new Map<string, number>();
  /** Returns the wait (ms) so tests can see it; one sleep, jittered so nodes do not line up. */
  async function waitQuiet(cls: string): Promise<number> {
    const t = lastThrottled.get(cls);
    const left = t === undefined ? 0 : t + quietMs - performance.now();
    if (left <= 0) return 0;
    const ms = left + retryEnv.random() * quietMs;
    await backgroundEnv.sleep(ms);
    return ms;
  }
  const limiter =
    internals.limiter ??
    (options.rateLimits === false
      ? unlimited
      : createRateLimiter(
          nodeBuckets(
            options.rateLimits?.fraction ?? parseRateFraction(process.env[EC2_RATE_FRACTION_ENV]),
            options.rateLimits?.buckets,
          ),
        ));
  const pageSize = Math.min(1000, Math.max(5, options.pageSize ?? 1000));
  const onCall = options.onCall;

  async function call<T>(
    action: string,
    send: () => Promise<T>,
    unfiltered = false,
    retryPolicy: RetryPolicy = policy,
  ): Promise<T> {
    const cls = actionClass(action, unfiltered);
    const t0 = performance.now();
    const env = retryPolicy === background ? backgroundEnv : retryEnv;
    const outcome = await runWithRetry(retryPolicy, env, async () => {
      if (retryPolicy === background) await waitQuiet(cls);
      await limiter.acquire(cls);
      try {
        return await send();
      } catch (err) {
        const e = toEc2Error(action, err);
        if (e.kind === "throttled") lastThrottled.set(cls, performance.now());
        throw e;
      }
    });
    try {
      onCall?.({
        action,
        outcome: outcome.ok ? "ok" : outcome.error.kind,
        latencyMs: performance.now() - t0,
        attempts: outcome.attempts,
        throttled: outcome.throttled,
      });
    } catch {
      // Metrics must never break the data path.
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  // Whether this endpoint answers AssignPrivateIpAddresses with every address
  // of the ENI (moto) rather than the new ones: unknown until the first call,
  // which therefore snapshots the ENI first. Real EC2 costs one extra describe, once.
  let assignAnswersAll: boolean | undefined;

  async function describeEnis(ids: string[] | undefined, filter = eniFilters({})) {
    if (ids !== undefined && ids.length === 0) return [];
    const unfiltered = ids === undefined && filter.length === 0;
    return collectPages(async (token) => {
      const out = await call(
        "DescribeNetworkInterfaces",
        () =>
          sdk.send(
            new DescribeNetworkInterfacesCommand({
              ...(ids !== undefined ? { NetworkInterfaceIds: ids } : { MaxResults: pageSize }),
              ...(filter.length > 0 ? { Filters: filter } : {}),
              ...(token !== undefined ? { NextToken: token } : {}),
            }),
          ),
        unfiltered,
      );
      return { items: (out.NetworkInterfaces ?? []).map(fromSdkEni), nextToken: out.NextToken };
    });
  }

  const api: Ec2Client = {
    region: cfg.region,
    endpoint: cfg.endpoint,
    close: () => sdk.destroy(),

    async describeInstances(ids) {
      if (ids.length === 0) return [];
      return collectPages(async (token) => {
        const out = await call("DescribeInstances", () =>
          sdk.send(
            new DescribeInstancesCommand({ InstanceIds: ids, ...(token ? { NextToken: token } : {}) }),
          ),
        );
        const items = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(fromSdkInstance);
        return { items, nextToken: out.NextToken };
      });
    },

    describeNetworkInterfaces(filter) {
      return describeEnis(filter.ids, eniFilters(filter));
    },

    async describeSubnets(ids) {
      if (ids.length === 0) return [];
      return collectPages(async (token) => {
        const out = await call("DescribeSubnets", () =>
          sdk.send(new DescribeSubnetsCommand({ SubnetIds: ids, ...(token ? { NextToken: token } : {}) })),
        );
        return { items: (out.Subnets ?? []).map(fromSdkSubnet), nextToken: out.NextToken };
      });
    },

    async describeInstanceTypes(types) {
      if (types.length === 0) return [];
      return collectPages(async (token) => {
        const out = await call("DescribeInstanceTypes", () =>
          sdk.send(
            new DescribeInstanceTypesCommand({
              InstanceTypes: types as _InstanceType[],
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        );
        return { items: (out.InstanceTypes ?? []).map(fromSdkInstanceType), nextToken: out.NextToken };
      });
    },

    async createNetworkInterface(input) {
      // Same token on every retry: EC2 creates the ENI once even if an
      // attempt timed out after EC2 had done the work.
      const clientToken = randomUUID();
      const tags = recordToTags(input.tags);
      const out = await call("CreateNetworkInterface", () =>
        sdk.send(
          new CreateNetworkInterfaceCommand({
            SubnetId: input.subnetId,
            Groups: input.securityGroupIds,
            Description: input.description,
            ClientToken: clientToken,
            ...(input.secondaryIpCount ? { SecondaryPrivateIpAddressCount: input.secondaryIpCount } : {}),
            ...(input.prefixCount ? { Ipv4PrefixCount: input.prefixCount } : {}),
            ...(tags.length > 0
              ? { TagSpecifications: [{ ResourceType: "network-interface", Tags: tags }] }
              : {}),
          }),
        ),
      );
      if (out.NetworkInterface === undefined) {
        throw toEc2Error("CreateNetworkInterface", new Error("answer without NetworkInterface"));
      }
      const eni = fromSdkEni(out.NetworkInterface);
      // Some endpoints ignore TagSpecifications; the tags ipamd relies on for
      // leak collection must be there either way.
      if (tags.length > 0 && Object.keys(eni.tags).length === 0) {
        await api.createTags([eni.id], input.tags);
        eni.tags = { ...input.tags };
      }
      return eni;
    },

    async attachNetworkInterface(input) {
      const out = await call("AttachNetworkInterface", () =>
        sdk.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: input.eniId,
            InstanceId: input.instanceId,
            DeviceIndex: input.deviceIndex,
            ...(input.networkCardIndex !== undefined ? { NetworkCardIndex: input.networkCardIndex } : {}),
          }),
        ),
      );
      return {
        attachmentId: out.AttachmentId ?? "",
        networkCardIndex: out.NetworkCardIndex ?? input.networkCardIndex ?? 0,
      };
    },

    async detachNetworkInterface(input) {
      await call("DetachNetworkInterface", () =>
        sdk.send(
          new DetachNetworkInterfaceCommand({
            AttachmentId: input.attachmentId,
            Force: input.force ?? false,
          }),
        ),
      );
    },

    async deleteNetworkInterface(eniId) {
      await call("DeleteNetworkInterface", () =>
        sdk.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId })),
      );
    },

    async assignPrivateIpAddresses(input): Promise<AssignResult> {
      const ipCount = input.ipCount ?? 0;
      const prefixCount = input.prefixCount ?? 0;
      let before: NetworkInterface | undefined;
      if (assignAnswersAll !== false && input.known === undefined)
        [before] = await describeEnis([input.eniId]);
      const out = await call("AssignPrivateIpAddresses", () =>
        sdk.send(
          new AssignPrivateIpAddressesCommand({
            NetworkInterfaceId: input.eniId,
            ...(ipCount > 0 ? { SecondaryPrivateIpAddressCount: ipCount } : {}),
            ...(prefixCount > 0 ? { Ipv4PrefixCount: prefixCount } : {}),
          }),
        ),
      );
      const ips = (out.AssignedPrivateIpAddresses ?? []).flatMap((a) => a.PrivateIpAddress ?? []);
      const prefixes = (out.AssignedIpv4Prefixes ?? []).flatMap((p) => p.Ipv4Prefix ?? []);
      const overAnswered = ips.length > ipCount || prefixes.length > prefixCount;
      if (assignAnswersAll === undefined || overAnswered) assignAnswersAll = overAnswered;
      const known = input.known && new Set(input.known);
      const heldIps = known ?? (before && new Set([before.primaryIp, ...before.secondaryIps]));
      const heldPrefixes = known ?? (before && new Set(before.prefixes));
      return {
        ips: newlyAssigned(ipCount, ips, heldIps),
        prefixes: newlyAssigned(prefixCount, prefixes, heldPrefixes),
      };
    },

    async unassignPrivateIpAddresses(input) {
      const ips = input.ips ?? [];
      const prefixes = input.prefixes ?? [];
      if (ips.length === 0 && prefixes.length === 0) return;
      await call("UnassignPrivateIpAddresses", () =>
        sdk.send(
          new UnassignPrivateIpAddressesCommand({
            NetworkInterfaceId: input.eniId,
            ...(ips.length > 0 ? { PrivateIpAddresses: ips } : {}),
            ...(prefixes.length > 0 ? { Ipv4Prefixes: prefixes } : {}),
          }),
        ),
      );
    },

    async setDeleteOnTermination(input) {
      await call(
        "ModifyNetworkInterfaceAttribute",
        () =>
          sdk.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: input.eniId,
              Attachment: { AttachmentId: input.attachmentId, DeleteOnTermination: input.value },
            }),
          ),
        false,
        input.background ? background : policy,
      );
    },

    async createTags(resourceIds, tags) {
      if (resourceIds.length === 0) return;
      await call("CreateTags", () =>
        sdk.send(new CreateTagsCommand({ Resources: resourceIds, Tags: recordToTags(tags) })),
      );
    },
  };
  return api;
}
