// The plugin's verbs, as in containernetworking/plugins: parse env + config,
// ask ipamd once, print the result in the configured version. Side effects come
// in through Deps so unit tests can run the whole flow in-process.
import { type CheckRequest, type LinkOptions, type PodRef, PROTOCOL_VERSION } from "../ipamd/api/protocol.ts";
import { decodeConfig, type NetConf, parseConfig } from "./config.ts";
import { type CniEnv, type EnvLike, parseCommand, parseEnv } from "./env.ts";
import { CNI_ERR, CniError, errorJson, toCniError } from "./errors.ts";
import { isOurHostVeth, type RemoveVeth } from "./host.ts";
import { callIpamd, failureToError, ipamdErrorToCni, type Transport } from "./ipamd-client.ts";
import { createLogger, type Logger } from "./log.ts";
import { readPrevResult, toCniResult } from "./result.ts";
import { isSupported, LATEST_VERSION, requireVerbAllowed, SUPPORTED_VERSIONS } from "./version.ts";

export interface Deps {
  readStdin: () => Promise<string>;
  transport?: Transport;
  removeHostVeth: RemoveVeth;
  makeLogger?: (prefix: string, logFile?: string) => Logger;
}

export interface Output {
  stdout: string;
  exitCode: number;
}

/** Per-verb socket timeouts: ADD may wait for ipamd to attach an ENI; STATUS must answer fast. */
export const DEFAULT_TIMEOUT_MS = {
  ADD: 10_000,
  DEL: 10_000,
  CHECK: 10_000,
  GC: 30_000,
  STATUS: 5_000,
} as const;

/**
 * ipamd may hold an ADD while the pool grows (AddRequest.waitMs): it is told
 * to answer this long before the plugin's own timeout, so a pod that still has
 * no address gets ipamd's "try again" with its reason, not a socket timeout.
 */
export const ADD_ANSWER_MARGIN_MS = 1_500;

export async function runPlugin(env: EnvLike, deps: Deps): Promise<Output> {
  // Errors are reported in the config's version when we got that far, else the newest we speak.
  let errVersion: string = LATEST_VERSION;
  try {
    const command = parseCommand(env);
    if (command === "VERSION") {
      // Like libcni's skel, VERSION ignores stdin: a runtime may not even close it.
      return ok({ cniVersion: LATEST_VERSION, supportedVersions: SUPPORTED_VERSIONS });
    }
    // Under Bun, reading stdin waits for I/O (~0.4 ms, measured in
    // bench:add): it starts before anything is checked and runs while the
    // environment is. Errors keep their order (env, then config).
    const stdin = deps.readStdin();
    stdin.catch(() => {}); // an env error below wins; this one is then moot
    const cniEnv = parseEnv(env);
    const raw = decodeConfig(await stdin);
    if (typeof raw["cniVersion"] === "string" && isSupported(raw["cniVersion"]))
      errVersion = raw["cniVersion"];
    const conf = parseConfig(raw, { forGc: cniEnv.command === "GC" });
    requireVerbAllowed(cniEnv.command, conf.cniVersion);
    const makeLogger = deps.makeLogger ?? createLogger;
    const log = makeLogger(`${cniEnv.command} ${cniEnv.containerId || conf.name}`, conf.logFile);
    return await dispatch(cniEnv, conf, deps, log);
  } catch (e) {
    const err = toCniError(e);
    return { stdout: JSON.stringify(errorJson(err, errVersion)) + "\n", exitCode: 1 };
  }
}

function ok(v: unknown): Output {
  return { stdout: v === undefined ? "" : JSON.stringify(v) + "\n", exitCode: 0 };
}

function timeoutFor(conf: NetConf, verb: keyof typeof DEFAULT_TIMEOUT_MS): number {
  return conf.ipamdTimeoutMs ?? DEFAULT_TIMEOUT_MS[verb];
}

function attachment(e: CniEnv, conf: NetConf) {
  const pod: PodRef = { namespace: e.pod.namespace, name: e.pod.name };
  if (e.pod.infraContainerId) pod.infraContainerId = e.pod.infraContainerId;
  const link: LinkOptions = { mtu: conf.mtu, vethPrefix: conf.vethPrefix };
  return {
    key: { network: conf.name, containerId: e.containerId, ifName: e.ifName },
    netns: e.netns,
    pod,
    link,
  };
}

// One small function per verb (as containernetworking/plugins' cmdAdd,
// cmdDel, cmdCheck): the compiled plugin links a function's bytecode at its
// first call, so ADD only pays for ADD's code (one dispatch holding every
// verb cost ~0.1 ms to enter).
function dispatch(e: CniEnv, conf: NetConf, deps: Deps, log: Logger): Promise<Output> {
  const call: Call = (req, ms) => callIpamd(conf.socketPath, req, ms, deps.transport);
  switch (e.command) {
    case "ADD":
      return cmdAdd(e, conf, log, call);
    case "CHECK":
      return cmdCheck(e, conf, call);
    case "DEL":
      return cmdDel(e, conf, deps, log, call);
    case "GC":
      return cmdGc(conf, log, call);
    case "STATUS":
      return cmdStatus(conf, call);
    case "VERSION":
      return Promise.resolve(ok({ cniVersion: LATEST_VERSION, supportedVersions: SUPPORTED_VERSIONS }));
  }
}

async function cmdAdd(e: CniEnv, conf: NetConf, log: Logger, call: Call): Promise<Output> {
  // CNI_NETNS: its form was checked with the environment; that it is a
  // pod's namespace, ipamd checks (see host.ts).
  const timeoutMs = timeoutFor(conf, "ADD");
  const waitMs = Math.max(0, timeoutMs - ADD_ANSWER_MARGIN_MS);
  const out = await call({ v: PROTOCOL_VERSION, op: "add", ...attachment(e, conf), waitMs }, timeoutMs);
  if (out.kind === "failed") throw failureToError(out.failure, conf.socketPath);
  if (!out.answer.ok) throw ipamdErrorToCni(out.answer.error);
  if (out.answer.op !== "add") throw new CniError(CNI_ERR.IO_FAILURE, "ipamd answered ADD with another op");
  log.info(`${e.ifName} in ${e.netns}: ${out.answer.result.ip} on ${out.answer.result.eniId}`);
  return ok(toCniResult(out.answer.result, conf.cniVersion, conf.prevResult));
}

async function cmdCheck(e: CniEnv, conf: NetConf, call: Call): Promise<Output> {
  const prev = readPrevResult(conf.prevResult, e.ifName);
  if (!prev.ip)
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, "CHECK needs a prevResult with an IP address");
  const req: CheckRequest = { v: PROTOCOL_VERSION, op: "check", ...attachment(e, conf), expectIp: prev.ip };
  const out = await call(req, timeoutFor(conf, "CHECK"));
  if (out.kind === "failed") throw failureToError(out.failure, conf.socketPath);
  if (!out.answer.ok) throw ipamdErrorToCni(out.answer.error);
  return ok(undefined);
}

async function cmdGc(conf: NetConf, log: Logger, call: Call): Promise<Output> {
  const valid = conf.validAttachments ?? [];
  const out = await call(
    { v: PROTOCOL_VERSION, op: "gc", network: conf.name, valid },
    timeoutFor(conf, "GC"),
  );
  if (out.kind === "failed") throw failureToError(out.failure, conf.socketPath);
  if (!out.answer.ok) throw ipamdErrorToCni(out.answer.error);
  if (out.answer.op === "gc") log.info(`released ${out.answer.released}, kept ${valid.length} attachments`);
  return ok(undefined);
}

type Call = (req: Parameters<typeof callIpamd>[1], ms: number) => ReturnType<typeof callIpamd>;

/**
 * DEL must succeed when repeated, when the namespace is gone, and when ipamd
 * is down: otherwise the pod can never be deleted. With ipamd unreachable we
 * remove the host veth ourselves and leave the address to ipamd's GC.
 */
async function cmdDel(e: CniEnv, conf: NetConf, deps: Deps, log: Logger, call: Call): Promise<Output> {
  const out = await call({ v: PROTOCOL_VERSION, op: "del", ...attachment(e, conf) }, timeoutFor(conf, "DEL"));
  if (out.kind === "answer") {
    if (!out.answer.ok) throw ipamdErrorToCni(out.answer.error);
    return ok(undefined);
  }
  if (out.failure.kind !== "unreachable") throw failureToError(out.failure, conf.socketPath);
  const hosts = readPrevResult(conf.prevResult).hostInterfaces.filter((n) =>
    isOurHostVeth(n, conf.vethPrefix),
  );
  log.warn(
    `ipamd unreachable (${out.failure.reason}); removing host veth ${hosts.join(",") || "(none in prevResult)"} ` +
      "myself, address left to ipamd GC",
  );
  for (const name of hosts) {
    const r = await deps.removeHostVeth(name);
    if (!r.ok) log.warn(`could not delete ${name}: ${r.detail}`);
  }
  return ok(undefined);
}

/**
 * STATUS (spec 1.1.0): 51 when ipamd is down; 50 when ipamd is not ready, or
 * when the node holds no pod address at all (start-up, subnet full from the
 * beginning): then no pod can start here, and a NotReady node is the truth.
 * A node that is merely FULL (every address held by a running pod) answers 0:
 * the runtime turns a failed STATUS into NetworkReady=false, the node goes
 * NotReady and taint-based eviction would remove its running pods. Exhaustion
 * of a busy node is reported where it helps: the ADD error (code 11 with the
 * numbers), the NodeIPAM status, the IPAMExhausted node condition, metrics.
 */
async function cmdStatus(conf: NetConf, call: Call): Promise<Output> {
  const out = await call({ v: PROTOCOL_VERSION, op: "status" }, timeoutFor(conf, "STATUS"));
  if (out.kind === "failed") {
    if (out.failure.kind === "unreachable") {
      throw new CniError(
        CNI_ERR.LIMITED_CONNECTIVITY,
        `ipamd is not running on this node (socket ${conf.socketPath}): ${out.failure.reason}`,
        "no pod can be added, and existing pods' routes are not being maintained",
      );
    }
    throw new CniError(CNI_ERR.PLUGIN_NOT_AVAILABLE, `ipamd is not answering STATUS: ${out.failure.reason}`);
  }
  const a = out.answer;
  if (!a.ok)
    throw new CniError(
      CNI_ERR.PLUGIN_NOT_AVAILABLE,
      `ipamd reports an error: ${a.error.msg}`,
      a.error.details,
    );
  if (a.op !== "status")
    throw new CniError(CNI_ERR.PLUGIN_NOT_AVAILABLE, "ipamd answered STATUS with another op");
  const holdsNothing = a.result.available <= 0 && (a.result.assigned ?? 0) === 0;
  if (!a.result.ready || holdsNothing) {
    const why =
      a.result.reason ?? (a.result.ready ? "the node holds no pod address yet" : "ipamd is not ready");
    throw new CniError(
      CNI_ERR.PLUGIN_NOT_AVAILABLE,
      why,
      `ready=${a.result.ready} available=${a.result.available} assigned=${a.result.assigned ?? 0}`,
    );
  }
  return ok(undefined);
}
