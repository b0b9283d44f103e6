#!/bin/bash
# Healthy only when Postfix answers "220" on ADDRESS:PORT.
#   healthcheck.sh [PORT] [plain|tls] [ADDRESS]
# PORT defaults to 25, ADDRESS to 127.0.0.1 (give it when the service listens on one
# other address only; IPv6 literals without brackets). Mode "plain" (default) reads the
# banner over a plain TCP connection (port 25 / 587 with STARTTLS); "tls" reads it inside
# TLS, for a wrapper-mode (smtps, 465) service. Uses bash /dev/tcp and the image's openssl.
set -uo pipefail
port="${1:-25}"
mode="${2:-plain}"
address="${3:-127.0.0.1}"
timeout_s="${HEALTHCHECK_TIMEOUT:-5}"

case "$port" in ''|*[!0-9]*) echo "healthcheck: bad port '$port'" >&2; exit 1 ;; esac
case "$address" in ''|*[!0-9A-Za-z.:-]*) echo "healthcheck: bad address '$address'" >&2; exit 1 ;; esac
case "$address" in *:*) endpoint="[$address]:$port" ;; *) endpoint="$address:$port" ;; esac

if [ "$mode" = tls ]; then
  banner="$(printf 'QUIT\r\n' | timeout "$timeout_s" openssl s_client -quiet -connect "$endpoint" 2>/dev/null | head -n 1)"
else
  { exec 3<>"/dev/tcp/$address/$port"; } 2>/dev/null || { echo "healthcheck: cannot connect to $endpoint" >&2; exit 1; }
  IFS= read -r -t "$timeout_s" banner <&3 || banner=""
  printf 'QUIT\r\n' >&3 2>/dev/null || true
  exec 3<&- 3>&-
fi

case "$banner" in
  220[\ -]*) exit 0 ;;
  *) echo "healthcheck: $endpoint answered '${banner%$'\r'}' instead of 220" >&2; exit 1 ;;
esac
