#!/bin/bash
# Healthy only when Postfix answers "220" on 127.0.0.1:PORT.
#   healthcheck.sh [PORT] [plain|tls]
# PORT defaults to 25. Mode "plain" (default) reads the banner over a plain TCP
# connection (port 25 / 587 with STARTTLS); "tls" reads it inside TLS, for a
# wrapper-mode (smtps, 465) service. Uses bash /dev/tcp and the image's openssl.
set -uo pipefail
port="${1:-25}"
mode="${2:-plain}"
timeout_s="${HEALTHCHECK_TIMEOUT:-5}"

case "$port" in ''|*[!0-9]*) echo "healthcheck: bad port '$port'" >&2; exit 1 ;; esac

if [ "$mode" = tls ]; then
  banner="$(printf 'QUIT\r\n' | timeout "$timeout_s" openssl s_client -quiet -connect "127.0.0.1:$port" 2>/dev/null | head -n 1)"
else
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo "healthcheck: cannot connect to 127.0.0.1:$port" >&2; exit 1; }
  IFS= read -r -t "$timeout_s" banner <&3 || banner=""
  printf 'QUIT\r\n' >&3 2>/dev/null || true
  exec 3<&- 3>&-
fi

case "$banner" in
  220[\ -]*) exit 0 ;;
  *) echo "healthcheck: 127.0.0.1:$port answered '${banner%$'\r'}' instead of 220" >&2; exit 1 ;;
esac
