// vpc-cni: the CNI plugin executable. A thin client of ipamd: parse env and
// stdin, send one request over ipamd's Unix socket, print the CNI result.
// Runs as `node cni/main.ts` (debugging) and as the Bun-compiled build/vpc-cni.
import { checkNetns, removeHostVeth } from "./host.ts";
import { runPlugin } from "./plugin.ts";
import { readStdin } from "./runtime.ts";

const out = await runPlugin(process.env, { readStdin, removeHostVeth, checkNetns });
if (out.stdout !== "") process.stdout.write(out.stdout);
if (!process.env["CNI_COMMAND"]) {
  process.stderr.write("vpc-cni: CNI plugin for VPC-native pod networking, run by the container runtime\n");
}
// exitCode rather than process.exit(): lets a piped stdout drain before the process ends.
process.exitCode = out.exitCode;
