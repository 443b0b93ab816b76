// Options of createEc2Client, and how they are resolved from the environment.
// resolveEc2Config is pure (env and a file probe are passed in) so the
// precedence rules are unit-tested.

import type { ActionClass, BucketSpec } from "./rate-limit.ts";
import type { RetryPolicy } from "./retry.ts";
import type { Ec2CallRecord } from "./types.ts";

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Per-attempt EC2 request timeout: EC2 answers in tens of ms, an attach is asynchronous. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface Ec2ClientOptions {
  /** Region; default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1. */
  region?: string;
  /**
   * Endpoint URL; default AWS_ENDPOINT_URL_EC2, then AWS_ENDPOINT_URL, else the
   * SDK's regional endpoint. Set it for the emulator or LocalStack.
   */
  endpoint?: string;
  /**
   * Explicit credentials. Default: the SDK's default chain (env, profile, web
   * identity, container, IMDS). With a custom endpoint and nothing configured
   * (no AWS_ACCESS_KEY_ID, profile, web identity or ~/.aws files), static dummy
   * credentials instead: emulators do not check signatures, and the default
   * chain would otherwise probe 169.254.169.254 and time out.
   */
  credentials?: StaticCredentials;
  /**
   * Client-side rate limiting: `false` disables it (tests that want to see the
   * server's throttling). `fraction` of each account bucket (default 0.2);
   * `buckets` overrides classes one by one.
   */
  rateLimits?: false | { fraction?: number; buckets?: Partial<Record<ActionClass, BucketSpec>> };
  /** Our retry policy (the SDK's own retries are off). Default DEFAULT_RETRY_POLICY. */
  retry?: Partial<RetryPolicy>;
  /** Per-attempt HTTP timeout (ms); default DEFAULT_REQUEST_TIMEOUT_MS. A timeout counts as transient. */
  requestTimeoutMs?: number;
  /** MaxResults for paginated describes (5..1000); default 1000. */
  pageSize?: number;
  /** Called once per logical call (retries included), for metrics. Must not throw. */
  onCall?: (record: Ec2CallRecord) => void;
}

export interface ResolvedEc2Config {
  region: string;
  endpoint: string | undefined;
  /** undefined: let the SDK use its default chain. */
  credentials: StaticCredentials | undefined;
}

export const DUMMY_CREDENTIALS: StaticCredentials = { accessKeyId: "test", secretAccessKey: "test" };

type Env = Readonly<Record<string, string | undefined>>;

/** True when the default chain has something to find (short of instance roles). */
export function credentialsConfigured(env: Env, awsFilesExist: boolean): boolean {
  return (
    awsFilesExist ||
    Boolean(env["AWS_ACCESS_KEY_ID"]) ||
    Boolean(env["AWS_PROFILE"]) ||
    Boolean(env["AWS_WEB_IDENTITY_TOKEN_FILE"]) ||
    Boolean(env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]) ||
    Boolean(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
  );
}

export function resolveEc2Config(
  opts: Ec2ClientOptions,
  env: Env,
  awsFilesExist: boolean,
): ResolvedEc2Config {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
  const region =
    nonEmpty(opts.region) ??
    nonEmpty(env["AWS_REGION"]) ??
    nonEmpty(env["AWS_DEFAULT_REGION"]) ??
    "us-east-1";
  const endpoint =
    nonEmpty(opts.endpoint) ?? nonEmpty(env["AWS_ENDPOINT_URL_EC2"]) ?? nonEmpty(env["AWS_ENDPOINT_URL"]);
  let credentials = opts.credentials;
  if (credentials === undefined && endpoint !== undefined && !credentialsConfigured(env, awsFilesExist)) {
    credentials = DUMMY_CREDENTIALS;
  }
  return { region, endpoint, credentials };
}

/** The setting that sets this node's share of each account bucket (see rate-limit.ts). */
export const EC2_RATE_FRACTION_ENV = "VPC_CNI_EC2_RATE_FRACTION";

/**
 * VPC_CNI_EC2_RATE_FRACTION: a decimal in (0, 1], or undefined when the text
 * is not one (the settings loader reports it; the client then keeps its default).
 */
export function parseRateFraction(raw: string | undefined): number | undefined {
  const v = raw?.trim() ?? "";
  if (!/^(0|[1-9][0-9]*)?(\.[0-9]+)?$/.test(v) || v === "" || v === ".") return undefined;
  const n = Number(v);
  return n > 0 && n <= 1 ? n : undefined;
}
