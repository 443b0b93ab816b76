#!/usr/bin/env bash
# Builds native/setns/build/setns.node with the C compiler directly against the
# Node-API headers from the node-api-headers npm package: no node-gyp, no
# Node source headers, and the result loads under any Node >= 18.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
out="$here/build/setns.node"
if [[ -f "$out" && "$out" -nt "$here/setns.c" ]]; then exit 0; fi
mkdir -p "$here/build"
${CC:-cc} -O2 -Wall -Wextra -shared -fPIC \
  -DNODE_GYP_MODULE_NAME=setns -DNAPI_VERSION=8 \
  -I "$root/node_modules/node-api-headers/include" \
  "$here/setns.c" -o "$out.tmp"
mv "$out.tmp" "$out"
