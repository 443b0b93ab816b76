// vpc-cni: the CNI plugin executable. A thin client of ipamd: parse env and
// stdin, send one request over ipamd's Unix socket, print the CNI result.
// Runs as `node cni/main.ts` (debugging) and as the Bun-compiled build/vpc-cni.
// No top-level await: it keeps the entry compatible with `bun build --bytecode`.
import { removeHostVeth } from "./host.ts";
import { runPlugin } from "./plugin.ts";
import { readStdin, writeStdout } from "./runtime.ts";

if (!process.env["CNI_COMMAND"]) {
  process.stderr.write("vpc-cni: CNI plugin for VPC-native pod networking, run by the container runtime\n");
}
void runPlugin(process.env, { readStdin, removeHostVeth }).then(async (out) => {
  if (out.stdout !== "") await writeStdout(out.stdout);
  // Exit now, not when the event loop drains: a stdin read started before an
  // env error (runPlugin) must not keep the plugin waiting for an EOF that a
  // runtime may never send.
  process.exit(out.exitCode);
});
