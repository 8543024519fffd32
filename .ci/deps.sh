#!/usr/bin/env bash
# Installs every Debian package haup's lab, tests and benchmarks need (run as root on Debian 12).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  openssh-server openssh-client iproute2 iputils-ping procps util-linux \
  keepalived nginx-light curl tshark \
  python3 make g++ ca-certificates
