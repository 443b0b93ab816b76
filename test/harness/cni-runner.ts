// A small libcni: runs a network configuration LIST the way containerd does
// through libcni. ADD runs every plugin in order, each one receiving the
// previous plugin's result as prevResult; DEL runs them in reverse with the
// cached ADD result; CHECK in order with it; STATUS asks each plugin. Plugins
// are exec'd with the CNI_* environment and the per-plugin configuration on
// stdin, inside the node's network namespace (the runtime lives there).
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

export interface RuntimeConf {
  containerId: string;
  /** CNI_NETNS; "" for a DEL whose namespace is gone. */
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs, e.g. K8S_POD_NAMESPACE. */
  args: Record<string, string>;
  /** Capability arguments (portMappings, bandwidth, ...), passed as runtimeConfig to plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
}

export interface CniRunnerOptions {
  /** Directories searched for plugin executables (CNI_PATH). */
  cniPath: string[];
  /** Run plugins inside this network namespace (`ip netns exec`); undefined = current one. */
  netns?: string;
  /** Per plugin call; a hung plugin is killed. */
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** A plugin answered with an error (or crashed): the spec's error object plus where it happened. */
export class CniRunError extends Error {
  readonly plugin: string;
  readonly command: string;
  readonly code: number;
  readonly details: string;
  constructor(init: { plugin: string; command: string; code: number; msg: string; details?: string }) {
    super(
      `${init.command} ${init.plugin}: [${init.code}] ${init.msg}${init.details ? ` (${init.details})` : ""}`,
    );
    this.name = "CniRunError";
    this.plugin = init.plugin;
    this.command = init.command;
    this.code = init.code;
    this.details = init.details ?? "";
  }
}

export type CniResult = Record<string, unknown>;

export interface PluginCall {
  plugin: string;
  command: string;
  ms: number;
}

export interface CniRunner {
  add(list: ConfList, rt: RuntimeConf): Promise<CniResult>;
  /** `cached` is ADD's result (libcni's cache); undefined when there is none. */
  del(list: ConfList, rt: RuntimeConf, cached: CniResult | undefined): Promise<void>;
  check(list: ConfList, rt: RuntimeConf, cached: CniResult): Promise<void>;
  status(list: ConfList): Promise<void>;
  /** Every plugin exec so far, with its duration (for numbers in reports). */
  readonly calls: PluginCall[];
}

export function createCniRunner(opts: CniRunnerOptions): CniRunner {
  const calls: PluginCall[] = [];

  function find(type: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(type)) {
      throw new CniRunError({ plugin: type, command: "-", code: 7, msg: "invalid plugin type" });
    }
    for (const dir of opts.cniPath) {
      const p = join(dir, type);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // next directory
      }
    }
    throw new CniRunError({
      plugin: type,
      command: "-",
      code: 7,
      msg: `failed to find plugin "${type}" in path [${opts.cniPath.join(" ")}]`,
    });
  }

  /** libcni's buildOneConfig: name, cniVersion, prevResult, runtimeConfig filtered by capabilities. */
  function pluginConf(
    list: ConfList,
    plugin: Record<string, unknown>,
    rt: RuntimeConf | undefined,
    prev: CniResult | undefined,
  ) {
    const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
    if (prev !== undefined) conf["prevResult"] = prev;
    const caps = plugin["capabilities"];
    if (rt?.capabilityArgs && caps && typeof caps === "object") {
      const runtimeConfig: Record<string, unknown> = {};
      for (const [k, on] of Object.entries(caps as Record<string, unknown>)) {
        if (on === true && k in rt.capabilityArgs) runtimeConfig[k] = rt.capabilityArgs[k];
      }
      if (Object.keys(runtimeConfig).length > 0) conf["runtimeConfig"] = runtimeConfig;
    }
    return conf;
  }

  function exec(
    command: string,
    plugin: Record<string, unknown>,
    conf: unknown,
    rt: RuntimeConf | undefined,
  ) {
    const type = String(plugin["type"]);
    const bin = find(type);
    const env: Record<string, string> = {
      PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      ...opts.env,
      CNI_COMMAND: command,
      CNI_PATH: opts.cniPath.join(":"),
    };
    if (rt) {
      env["CNI_CONTAINERID"] = rt.containerId;
      env["CNI_NETNS"] = rt.netns;
      env["CNI_IFNAME"] = rt.ifName;
      env["CNI_ARGS"] = Object.entries(rt.args)
        .map(([k, v]) => `${k}=${v}`)
        .join(";");
    }
    const argv = opts.netns ? ["ip", "netns", "exec", opts.netns, bin] : [bin];
    const t0 = performance.now();
    return new Promise<CniResult | undefined>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        env,
        stdio: ["pipe", "pipe", "pipe"],
        timeout: opts.timeoutMs ?? 30_000,
      });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        err += d;
      });
      child.on("error", (e) => reject(new CniRunError({ plugin: type, command, code: 999, msg: e.message })));
      child.on("close", (code, signal) => {
        calls.push({ plugin: type, command, ms: performance.now() - t0 });
        let parsed: Record<string, unknown> | undefined;
        try {
          parsed = out.trim() ? (JSON.parse(out) as Record<string, unknown>) : undefined;
        } catch {
          parsed = undefined;
        }
        if (code === 0) return resolve(parsed);
        reject(
          new CniRunError({
            plugin: type,
            command,
            code: typeof parsed?.["code"] === "number" ? parsed["code"] : 999,
            msg:
              typeof parsed?.["msg"] === "string"
                ? parsed["msg"]
                : `exit ${code ?? signal}: ${out.trim()} ${err.trim()}`,
            details: typeof parsed?.["details"] === "string" ? parsed["details"] : err.trim(),
          }),
        );
      });
      child.stdin.on("error", () => undefined); // plugin may exit without reading stdin
      child.stdin.end(JSON.stringify(conf));
    });
  }

  return {
    calls,
    async add(list, rt) {
      let prev: CniResult | undefined;
      for (const plugin of list.plugins) {
        const result = await exec("ADD", plugin, pluginConf(list, plugin, rt, prev), rt);
        if (result === undefined) {
          throw new CniRunError({
            plugin: String(plugin["type"]),
            command: "ADD",
            code: 999,
            msg: "ADD succeeded without a result",
          });
        }
        prev = result;
      }
      return prev ?? {};
    },
    async del(list, rt, cached) {
      // Every plugin is asked even if one fails (as libcni's DelNetworkList does not: it stops),
      // but the first error is still reported so a failing DEL is never silent.
      let first: unknown;
      for (const plugin of [...list.plugins].reverse()) {
        try {
          await exec("DEL", plugin, pluginConf(list, plugin, rt, cached), rt);
        } catch (e) {
          first ??= e;
        }
      }
      if (first !== undefined) throw first;
    },
    async check(list, rt, cached) {
      for (const plugin of list.plugins)
        await exec("CHECK", plugin, pluginConf(list, plugin, rt, cached), rt);
    },
    async status(list) {
      for (const plugin of list.plugins)
        await exec("STATUS", plugin, pluginConf(list, plugin, undefined, undefined), undefined);
    },
  };
}
