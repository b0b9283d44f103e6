#!/bin/bash
# Healthy only when Postfix answers on ADDRESS:PORT, over TLS where the service offers it, no server
# certificate has expired, and the newest configuration generation was not refused.
#   healthcheck.sh [--expiry-warning-days N] [PORT] [plain|starttls|tls] [ADDRESS]
# PORT defaults to 25, ADDRESS to 127.0.0.1 (give it when the service listens on one
# other address only; IPv6 literals without brackets). Mode "plain" (default) reads the
# 220 banner over a plain TCP connection (a service without TLS); "starttls" completes a
# STARTTLS handshake and needs 221 to QUIT inside TLS, so a TLS outage (a broken key, no
# usable cipher) is unhealthy; "tls" reads the banner inside TLS, for a wrapper-mode
# (smtps, 465) service. Uses bash /dev/tcp and the image's openssl.
# Every server certificate (the leaf of each smtpd_tls_chain_files entry, or smtpd_tls_cert_file): expired
# is unhealthy (verifying senders refuse it; MTA-STS ones stop delivering); within N days (default 30)
# the health log gets a warning line and the container stays healthy.
set -uo pipefail
warning_days=30
if [ "${1:-}" = --expiry-warning-days ]; then
  warning_days="${2:-}"
  shift 2 || true
fi
case "$warning_days" in ''|*[!0-9]*) echo "healthcheck: bad --expiry-warning-days '$warning_days'" >&2; exit 1 ;; esac
port="${1:-25}"
mode="${2:-plain}"
address="${3:-127.0.0.1}"
timeout_s="${HEALTHCHECK_TIMEOUT:-5}"

case "$port" in ''|*[!0-9]*) echo "healthcheck: bad port '$port'" >&2; exit 1 ;; esac
case "$mode" in plain|starttls|tls) ;; *) echo "healthcheck: bad mode '$mode'" >&2; exit 1 ;; esac
case "$address" in ''|*[!0-9A-Za-z.:-]*) echo "healthcheck: bad address '$address'" >&2; exit 1 ;; esac
case "$address" in *:*) endpoint="[$address]:$port" ;; *) endpoint="$address:$port" ;; esac

check_expiry() {
  local files file end
  files="$(postconf -h smtpd_tls_chain_files smtpd_tls_cert_file smtpd_tls_eccert_file 2>/dev/null | tr ', ' '\n\n')"
  for file in $files; do
    case "$file" in none|'') continue ;; esac
    # Key files of a separate key + chain pair hold no certificate; a combined file has the key first.
    grep -q -- '-----BEGIN CERTIFICATE-----' "$file" 2>/dev/null || continue
    end="$(openssl x509 -in "$file" -noout -enddate 2>/dev/null)"
    end="${end#notAfter=}"
    if ! openssl x509 -in "$file" -noout -checkend 0 >/dev/null 2>&1; then
      echo "healthcheck: certificate $file expired ($end)" >&2
      return 1
    fi
    if ! openssl x509 -in "$file" -noout -checkend $((warning_days * 86400)) >/dev/null 2>&1; then
      echo "healthcheck: warning: certificate $file expires within $warning_days days ($end)"
    fi
  done
}
check_expiry || exit 1

# The entrypoint's report (docker/README.md): a refused newest generation is unhealthy, although Postfix
# keeps serving the active one.
STATUS=/var/lib/postfix-config/status
if [ -f "$STATUS" ]; then
  active="$(sed -n 's/^active=//p' "$STATUS")"
  refused="$(sed -n 's/^refused=//p' "$STATUS")"
  reason="$(sed -n 's/^reason=//p' "$STATUS")"
  if [ -n "$refused" ]; then
    echo "healthcheck: configuration generation $refused was refused: $reason (still serving generation $active; see docker logs)" >&2
    exit 1
  fi
fi

if [ "$mode" = tls ]; then
  banner="$(printf 'QUIT\r\n' | timeout "$timeout_s" openssl s_client -quiet -connect "$endpoint" 2>/dev/null | head -n 1)"
elif [ "$mode" = starttls ]; then
  # s_client reads the banner and sends EHLO and STARTTLS itself; inside TLS only QUIT is answered.
  reply="$(printf 'QUIT\r\n' | timeout "$timeout_s" openssl s_client -quiet -starttls smtp -connect "$endpoint" 2>/dev/null | head -n 1)"
  case "$reply" in
    221[\ -]*) exit 0 ;;
    *) echo "healthcheck: no working STARTTLS on $endpoint (reply inside TLS: '${reply%$'\r'}')" >&2; exit 1 ;;
  esac
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
