#!/bin/bash
# chk_http on h6, rendered by haup (pairs: docs); haup-agent runs it every 2 s.
# Healthy while GET http://127.0.0.1/ answers 2xx or 3xx within 1 s (curl when installed, else
# a plain HTTP/1.0 request over bash's /dev/tcp, which covers http:// only).
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
URL='http://127.0.0.1/'
SCHEME='http'

probe() {
  local code
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -sS -o /dev/null -m 1 -w '%{http_code}' -- "$URL" 2>/dev/null) || return 1
  else
    [ "$SCHEME" = http ] || return 1
    code=$(timeout 1 bash -c '
      exec 3<>"/dev/tcp/$1/$2" || exit 1
      printf "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$3" "$1" >&3
      read -r _ code _ <&3 && printf %s "$code"' probe '127.0.0.1' '80' '/' 2>/dev/null) || return 1
  fi
  case "$code" in 2??|3??) return 0 ;; *) return 1 ;; esac
}

# --- shared by every haup check script: log, restart the service, step aside ---
DAEMON_UNIT='haup-agent.service'
DAEMON_PIDFILE='/run/haup/haup-agent.pid'

say() {
  logger -t haup-check -- "chk_http: $*" 2>/dev/null || true
  echo "haup-check chk_http: $*" >&2
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
