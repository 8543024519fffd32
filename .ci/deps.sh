#!/usr/bin/env bash
# Installs every Debian package haup's lab, tests and benchmarks need (run as root on Debian 12), after
# checking that Node.js >= 20.19 is there (Debian 12's own nodejs is 18: too old for the CLI).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  echo "deps: haup needs Node.js >= 20.19 as \"node\" on root's PATH; found: $(node --version 2>/dev/null || echo none)." >&2
  echo "deps: install Node 20 or 22 LTS (nodejs.org or NodeSource packages), or with nvm run: sudo env PATH=\"\$PATH\" bash .ci/deps.sh" >&2
  exit 1
fi

apt-get update
apt-get install -y --no-install-recommends \
  openssh-server openssh-client iproute2 iputils-ping procps util-linux \
  keepalived nginx-light curl tshark \
  python3 make g++ ca-certificates
