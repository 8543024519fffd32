#!/bin/sh
# chk_nginx on h1, rendered by haup (pairs: web); haup-agent runs it every 3 s.
# Healthy while the nginx master process named in /run/nginx.pid is alive (/run is private per
# host, so this also holds in network-namespace labs that share one PID namespace). When it is not: restart
# nginx, re-check, and if it is still down stop haup-agent so the peer takes over the VIP.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PIDFILE='/run/nginx.pid'
PROCESS='nginx'

probe() {
  [ -r "$PIDFILE" ] || return 1
  pid=$(head -n 1 "$PIDFILE" 2>/dev/null) || return 1
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$PROCESS" ]
}

# --- shared by every haup check script: log, restart the service, step aside ---
DAEMON_UNIT='haup-agent.service'
DAEMON_PIDFILE='/run/haup/haup-agent.pid'
SERVICE='nginx'

say() {
  logger -t haup-check -- "chk_nginx: $*" 2>/dev/null || true
  echo "haup-check chk_nginx: $*" >&2
}

# Restarts the guarded service: an explicit start command, else systemd, else its init script.
restart_service() {
  '/usr/sbin/nginx' '-c' '/var/lib/haup/lab/lab/hosts/h1/nginx.conf' '-e' '/var/log/nginx/error.log' >/dev/null 2>&1 </dev/null
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
say "nginx failed its check; restarting it"
restart_service
# Re-check for up to 2 s while the service comes up.
deadline=$(($(date +%s) + 2))
while :; do
  if probe; then
    say "nginx is back after a restart"
    exit 0
  fi
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 0.2
done
say "nginx is still failing after a restart; stopping haup-agent so the peer takes over"
stop_daemon
exit 1
