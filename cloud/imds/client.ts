// IMDSv2 client over node:http (./http.ts says why not fetch). A session
// token is PUT once (TTL default 6 h) and refreshed a minute before it
// expires, or at once on a 401.
//
// Hop limit: the token PUT answer carries an IP TTL equal to the instance's
// HttpPutResponseHopLimit. ipamd runs with hostNetwork, so its packets never
// cross a bridge: hop limit 1 is enough. A client inside a pod (its own
// network namespace, one more hop) needs hop limit >= 2; with 1 the PUT
// answer is dropped and the call times out, which surfaces here as kind
// "unreachable" (never an auth error).

import { ImdsError, isImdsError } from "./errors.ts";
import { exchange, type HttpAnswer } from "./http.ts";
import { imdsBaseUrl, lines, listing, regionFromAz } from "./parse.ts";
import type { ImdsApi, ImdsEni, InstanceIdentity } from "./types.ts";

export interface ImdsClientOptions {
  /** Base URL; default AWS_EC2_METADATA_SERVICE_ENDPOINT, then http://169.254.169.254/. A path prefix is kept. */
  endpoint?: string;
  /** Token lifetime asked for (1..21600 s); default 21600. */
  tokenTtlSeconds?: number;
  /** Per-request timeout; default 2 s (IMDS answers in microseconds when reachable). */
  timeoutMs?: number;
  /** Attempts for network errors and 5xx; default 3. */
  maxAttempts?: number;
  /** Clock for token expiry (tests). */
  now?: () => number;
}

export interface ImdsClient extends ImdsApi {
  readonly baseUrl: string;
  /** Raw GET of a path under latest/meta-data/ (e.g. "network/interfaces/macs/"). */
  get(path: string): Promise<string>;
  /** As get, but a 404 is undefined. */
  getOptional(path: string): Promise<string | undefined>;
}

const META = "latest/meta-data/";

export function createImdsClient(options: ImdsClientOptions = {}): ImdsClient {
  const baseUrl = imdsBaseUrl(options.endpoint, process.env);
  const ttl = Math.min(21600, Math.max(1, options.tokenTtlSeconds ?? 21600));
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const now = options.now ?? Date.now;
  // Renew this long before expiry, so a request never races the expiry.
  const renewMarginMs = Math.min(60_000, (ttl * 1000) / 10);

  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function request(
    path: string,
    init: { method?: string; headers: Record<string, string> },
  ): Promise<HttpAnswer> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const res = await exchange(new URL(path, baseUrl), { ...init, timeoutMs });
        if (res.status < 500 || attempt === maxAttempts) return res;
        lastErr = new ImdsError({ kind: "http", path, status: res.status, message: `HTTP ${res.status}` });
      } catch (err) {
        lastErr = err;
      }
      await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 1)));
    }
    if (lastErr instanceof ImdsError) throw lastErr;
    const cause = lastErr instanceof Error ? `${lastErr.name}: ${lastErr.message}` : String(lastErr);
    throw new ImdsError({
      kind: "unreachable",
      path,
      message: `${cause} (from a pod network namespace this is what HttpPutResponseHopLimit 1 looks like)`,
    });
  }

  async function fetchToken(): Promise<string> {
    const path = "latest/api/token";
    const res = await request(path, {
      method: "PUT",
      headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(ttl) },
    });
    const body = res.body;
    if (res.status !== 200 || body === "") {
      const kind =
        res.status === 401 || res.status === 403 ? "unauthorized" : res.status === 404 ? "not-found" : "http";
      throw new ImdsError({
        kind,
        path,
        status: res.status,
        message: `token PUT answered HTTP ${res.status}`,
      });
    }
    token = { value: body, expiresAt: now() + ttl * 1000 };
    return body;
  }

  async function currentToken(forceNew: boolean): Promise<string> {
    if (!forceNew && token !== undefined && now() < token.expiresAt - renewMarginMs) return token.value;
    // One PUT at a time: concurrent readers share it.
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function getOptional(path: string): Promise<string | undefined> {
    const full = META + path;
    for (let round = 0; ; round++) {
      const tok = await currentToken(round > 0);
      const res = await request(full, { headers: { "X-aws-ec2-metadata-token": tok } });
      const body = res.body;
      if (res.status === 200) return body;
      if (res.status === 404) return undefined;
      // 401: the token expired or IMDS restarted; one fresh token, then give up.
      if (res.status === 401 && round === 0) continue;
      const kind = res.status === 401 || res.status === 403 ? "unauthorized" : "http";
      throw new ImdsError({ kind, path: full, status: res.status, message: `HTTP ${res.status}` });
    }
  }

  async function get(path: string): Promise<string> {
    const body = await getOptional(path);
    if (body === undefined)
      throw new ImdsError({ kind: "not-found", path: META + path, status: 404, message: "HTTP 404" });
    return body.trim();
  }

  function int(path: string, text: string): number {
    const n = Number(text.trim());
    if (!Number.isInteger(n))
      throw new ImdsError({ kind: "malformed", path, message: `not an integer: ${text}` });
    return n;
  }

  async function eni(mac: string): Promise<ImdsEni> {
    const p = `network/interfaces/macs/${mac}/`;
    const [device, card, id, subnet, subnetCidr, ipv4s, prefixes, sgs, vpcCidrs, vpcCidr] = await Promise.all(
      [
        get(`${p}device-number`),
        getOptional(`${p}network-card`),
        get(`${p}interface-id`),
        get(`${p}subnet-id`),
        get(`${p}subnet-ipv4-cidr-block`),
        // local-ipv4s lags an attach by a moment; empty until then.
        getOptional(`${p}local-ipv4s`),
        // 404 when the ENI holds no prefix.
        getOptional(`${p}ipv4-prefix`),
        getOptional(`${p}security-group-ids`),
        getOptional(`${p}vpc-ipv4-cidr-blocks`),
        getOptional(`${p}vpc-ipv4-cidr-block`),
      ],
    );
    return {
      mac,
      deviceNumber: int(`${p}device-number`, device),
      // Older instances have no network-card entry: everything is card 0.
      networkCard: card === undefined ? 0 : int(`${p}network-card`, card),
      interfaceId: id,
      subnetId: subnet,
      subnetCidr,
      localIpv4s: lines(ipv4s ?? ""),
      ipv4Prefixes: lines(prefixes ?? ""),
      securityGroupIds: lines(sgs ?? ""),
      vpcCidrs: lines(vpcCidrs ?? vpcCidr ?? ""),
    };
  }

  return {
    baseUrl,
    get,
    getOptional,
    async identity(): Promise<InstanceIdentity> {
      const [instanceId, instanceType, availabilityZone, region, primaryMac] = await Promise.all([
        get("instance-id"),
        get("instance-type"),
        get("placement/availability-zone"),
        getOptional("placement/region"),
        get("mac"),
      ]);
      const r = region?.trim();
      return {
        instanceId,
        instanceType,
        availabilityZone,
        region: r ? r : regionFromAz(availabilityZone),
        primaryMac,
      };
    },
    async eni(mac: string): Promise<ImdsEni | undefined> {
      const want = mac.toLowerCase();
      const listed = listing(await get("network/interfaces/macs/")).find((m) => m.toLowerCase() === want);
      if (listed === undefined) return undefined;
      try {
        return await eni(listed);
      } catch (e) {
        // Listed, but a field not there yet: IMDS fills in a new attachment's
        // entries one by one. Not attached yet for the caller, who polls on.
        if (isImdsError(e, "not-found")) return undefined;
        throw e;
      }
    },
    async enis(): Promise<ImdsEni[]> {
      const macs = listing(await get("network/interfaces/macs/"));
      const all = await Promise.all(macs.map(eni));
      return all.sort((a, b) => a.networkCard - b.networkCard || a.deviceNumber - b.deviceNumber);
    },
  };
}
