#!/usr/bin/env bash
# Debian packages the test suite needs on the host: real postconf/postmap (postfix, postfix-lmdb) to parse
# what we render, openssl for PKI oracles, the TLS clients of the integration tests, and named-checkzone
# (bind9-utils) to read the DNS records we publish.
set -euo pipefail
# swaks needs Net::SSLeay and IO::Socket::SSL for TLS; they are only Recommends, which --no-install-recommends skips.
packages=(postfix postfix-lmdb openssl swaks libnet-ssleay-perl libio-socket-ssl-perl ca-certificates bind9-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "[system-deps] all present: ${packages[*]}"
  exit 0
fi
echo "[system-deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
# The host's Postfix is only a toolbox for postconf/postmap: no configuration, never started.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
