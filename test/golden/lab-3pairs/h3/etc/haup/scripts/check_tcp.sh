#!/bin/bash
# chk_tcp on h3, rendered by haup (pairs: api); haup-agent runs it every 2 s.
# Healthy while a TCP connection to 127.0.0.1 port 80 succeeds within 1 s.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOST='127.0.0.1'
PORT='80'

probe() {
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' probe "$HOST" "$PORT" 2>/dev/null
}

# --- shared by every haup check script: log, restart the service, step aside ---
DAEMON_UNIT='haup-agent.service'
DAEMON_PIDFILE='/run/haup/haup-agent.pid'

say() {
  logger -t haup-check -- "chk_tcp: $*" 2>/dev/null || true
  echo "haup-check chk_tcp: $*" >&2
}


# Stops the VRRP daemon (haup-agent) so the peer takes the VIP: systemd when it runs the daemon,
# else SIGTERM to the pid in /run/haup/haup-agent.pid (the daemon then sends priority 0 and releases the VIP).
stop_daemon() {
  if [ -d /run/systemd/system ] && systemctl is-active --quiet "$DAEMON_UNIT"; then
    systemctl stop --no-block "$DAEMON_UNIT"
  elif [ -r "$DAEMON_PIDFILE" ]; then
    kill -TERM "$(head -n 1 "$DAEMON_PIDFILE")"
  else
    say "cannot stop haup-agent: no active systemd unit and no $DAEMON_PIDFILE"
  fi
}

if probe; then
  exit 0
fi
exit 1
