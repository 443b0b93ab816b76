#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian/Ubuntu machine:
#   - Debian packages (iproute2, iptables, nftables, the reference CNI plugins,
#     ping, curl, nsenter),
#     only when missing and only when running as root;
#   - npm packages (the locked versions), which bring Node 24 itself (the `node`
#     devDependency);
#   - the native setns addon and the CNI plugin executable.
# Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v iptables >/dev/null || need_pkgs+=(iptables)
command -v nft >/dev/null || need_pkgs+=(nftables)
[[ -x /usr/lib/cni/ptp ]] || need_pkgs+=(containernetworking-plugins)
command -v cc >/dev/null || need_pkgs+=(gcc libc6-dev)
command -v ping >/dev/null || need_pkgs+=(iputils-ping)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v nsenter >/dev/null || need_pkgs+=(util-linux)
if ((${#need_pkgs[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need_pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: missing ${need_pkgs[*]} (not root or no apt-get): tests that need them will be skipped" >&2
  fi
fi

# Install the locked versions, only when the lock file changed since the last
# install. Not `npm ci`: the registry these machines reach lacks some of
# @biomejs/biome's optional platform packages (darwin, win32, musl, android:
# 404), so npm leaves them out of the lock and `npm ci` then refuses the lock
# as "out of sync". `npm install --no-save` installs exactly what the lock
# pins and skips the unreachable optional packages.
stamp=node_modules/.setup-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm install (locked versions)" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

bash native/setns/build.sh
if [[ -f cni/build.sh ]]; then bash cni/build.sh; fi
# The pre-bundled ipamd (build/ipamd) production and the test harness run; skipped when fresh.
node_modules/.bin/bun deploy/build-ipamd.ts
