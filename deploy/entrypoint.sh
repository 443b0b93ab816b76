#!/usr/bin/env bash
# Container entrypoint: start ipamd, wait until it is healthy, then install the
# CNI plugin binary and, last, the network config. Until the conflist exists
# kubelet keeps the node NotReady, so no pod is scheduled here before ipamd can
# answer ADD. Both files are written to a temporary name and renamed, so the
# runtime never sees a half-written binary or config.
set -euo pipefail
app=/app
bin_dir=${CNI_BIN_DIR:-/host/opt/cni/bin}
conf_dir=${CNI_CONF_DIR:-/host/etc/cni/net.d}
health=${IPAMD_HEALTH_URL:-http://127.0.0.1:61679/healthz}

# ipamd's SNAT chain must live in the iptables backend the host's own rules
# (kube-proxy's) use: point the image's iptables tools at it before ipamd starts.
mode=$("$app/deploy/iptables-mode.sh")
for t in iptables ip6tables; do
  update-alternatives --set "$t" "/usr/sbin/$t-$mode" >/dev/null
done
echo "vpc-cni: iptables backend $mode (the host's rules are there)"

# The launcher the test harness uses too: bundled ipamd + deploy/ipamd-node-flags.
"$app/deploy/ipamd.sh" &
ipamd=$!
trap 'kill -TERM "$ipamd" 2>/dev/null; wait "$ipamd"' TERM INT

until node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$health"; do
  kill -0 "$ipamd" 2>/dev/null || { echo "ipamd exited before becoming healthy" >&2; wait "$ipamd"; exit 1; }
  sleep 1
done

install -m 0755 "$app/build/vpc-cni" "$bin_dir/.vpc-cni.tmp"
mv -f "$bin_dir/.vpc-cni.tmp" "$bin_dir/vpc-cni"
# 05-: runtimes use the first conflist by name, and a node moved over from the
# AWS VPC CNI still has its 10-aws.conflist. Earlier versions of ours installed
# 10-vpc-cni.conflist: removed, so only one config of ours is ever present.
"$app/deploy/render-conflist.sh" > "$conf_dir/.05-vpc-cni.conflist.tmp"
mv -f "$conf_dir/.05-vpc-cni.conflist.tmp" "$conf_dir/05-vpc-cni.conflist"
rm -f "$conf_dir/10-vpc-cni.conflist"
echo "vpc-cni: ipamd healthy, plugin and $conf_dir/05-vpc-cni.conflist installed"

wait "$ipamd"
