#!/bin/bash
# postfix-tls-cdktf container entrypoint.
#
# Prepares what Postfix needs from the files the deploying layer uploaded, then
# replaces itself with `postfix start-fg` (PID 1 -> master -i).
#
#   /etc/postfix/main.cf, /etc/postfix/master.cf   required, replace Debian's entirely
#   /etc/postfix/tables/*                          lookup table sources (postmap'ed here)
#   /etc/postfix/tls/*                             certificates / CA files
#   /etc/postfix/tls/private/*                     private keys (forced to root:root 0600)
#   /etc/postfix/sasl/smtpd.conf                   Cyrus SASL config of smtpd (optional)
#   /etc/postfix/sasl/private/credentials          "user password" lines -> sasldb (optional)
#   any directory named by *_CApath                CA directory (openssl rehash'ed here)
#
# Any problem that would make Postfix fail later is reported as ONE line on
# stderr starting with "postfix-entrypoint: FATAL:" and exit status 1.
# A first argument that does not start with "-" runs that command instead
# (e.g. `docker run --rm IMAGE postconf -d mail_version`), without any checks.
set -euo pipefail
umask 022

PROG=postfix-entrypoint
fatal() { printf '%s: FATAL: %s\n' "$PROG" "$*" >&2; exit 1; }
warn()  { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
info()  { printf '%s: %s\n' "$PROG" "$*" >&2; }
one_line() { tr '\n' ' ' | sed 's/[[:space:]]*$//'; }
# Tool output on stderr, each line once, without the unused-parameter warnings
# that every Postfix command repeats (shown once by `postconf -n` below).
show() { printf '%s\n' "$1" | grep -v 'unused parameter' | awk 'NF && !seen[$0]++' >&2 || true; }
# Postfix 3.7's `postfix` command writes its fatal errors only to a terminal (and to
# the maillog, which may be what is wrong: maillog_file outside maillog_file_prefixes).
# Run it on a pseudo-terminal so the reason reaches stderr, i.e. `docker logs`.
postfix_tty() { script -qec "postfix $*" /dev/null </dev/null | tr -d '\r'; return "${PIPESTATUS[0]}"; }

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
  exec "$@"
fi

CONF=/etc/postfix
[ -f "$CONF/main.cf" ]   || fatal "$CONF/main.cf is missing (the deploying layer must upload it before start)"
[ -f "$CONF/master.cf" ] || fatal "$CONF/master.cf is missing (the deploying layer must upload it before start)"

# Parse errors in main.cf/master.cf are fatal here already; unused-parameter
# warnings are shown once (stderr) and are not fatal.
out="$(postconf -n 2>&1 >/dev/null)" || fatal "postconf -n failed: $(printf '%s' "$out" | one_line)"
[ -z "$out" ] || printf '%s\n' "$out" >&2
out="$(postconf -M 2>&1 >/dev/null)" || fatal "master.cf is invalid: $(printf '%s' "$out" | one_line)"

maillog="$(postconf -xh maillog_file 2>/dev/null || true)"
if [ -z "$maillog" ] && [ ! -S /dev/log ]; then
  warn "maillog_file is empty and /dev/log does not exist: Postfix logs will be lost (set maillog_file = /dev/stdout and add the postlog service to master.cf)"
fi

# --- private keys --------------------------------------------------------------
if [ -d "$CONF/tls/private" ]; then
  { chown root:root "$CONF/tls/private" && chmod 0700 "$CONF/tls/private" \
    && find "$CONF/tls/private" -type f -exec chown root:root {} + -exec chmod 0600 {} +; } \
    || warn "could not set root:root 0600 on $CONF/tls/private/* (read-only mount?)"
fi

# --- SASL users (Cyrus sasldb) ----------------------------------------------------
# /etc/postfix/sasl/private/credentials holds "user password" lines (blank lines
# and #-comments ignored). They are loaded into a fresh sasldb (sasldb_path of
# /etc/postfix/sasl/smtpd.conf, default /etc/sasldb2) on every start, so removed
# users disappear. Realms, as Postfix's Cyrus glue looks users up:
#   "user@domain"  -> realm "domain": clients AUTH as "user@domain";
#   "user"         -> realm smtpd_sasl_local_domain, or $myhostname when that is
#                     empty: clients AUTH as "user" (or "user@<that realm>").
# Passwords go to saslpasswd2 on stdin (never argv) and are never printed.
SASL_CREDENTIALS="$CONF/sasl/private/credentials"
if [ -f "$SASL_CREDENTIALS" ]; then
  { chown root:root "$CONF/sasl/private" "$SASL_CREDENTIALS" && chmod 0700 "$CONF/sasl/private" \
    && chmod 0600 "$SASL_CREDENTIALS"; } || warn "could not set root:root 0600 on $SASL_CREDENTIALS"
  command -v saslpasswd2 >/dev/null || fatal "$SASL_CREDENTIALS exists but saslpasswd2 (package sasl2-bin) is not installed"
  sasldb=/etc/sasldb2
  if [ -f "$CONF/sasl/smtpd.conf" ]; then
    configured="$(sed -n 's/^[[:space:]]*sasldb_path:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$CONF/sasl/smtpd.conf" | tail -n 1)"
    [ -z "$configured" ] || sasldb="$configured"
  else
    warn "$SASL_CREDENTIALS exists but $CONF/sasl/smtpd.conf does not: smtpd will not use the sasldb"
  fi
  [ "${sasldb#/}" != "$sasldb" ] || fatal "sasldb_path $sasldb in $CONF/sasl/smtpd.conf is not an absolute path"
  default_realm="$(postconf -xh smtpd_sasl_local_domain 2>/dev/null || true)"
  [ -n "$default_realm" ] || default_realm="$(postconf -xh myhostname)"
  mkdir -p "$(dirname "$sasldb")"
  new_db="$sasldb.new.$$"
  rm -f "$new_db"
  users=0 lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line="${line%$'\r'}"
    case "$line" in ''|'#'*) continue ;; esac
    [[ $line =~ ^[[:space:]]*([^[:space:]]+)[[:space:]]+(.+)$ ]] \
      || { rm -f "$new_db"; fatal "$SASL_CREDENTIALS line $lineno: expected 'user password'"; }
    login="${BASH_REMATCH[1]}" password="${BASH_REMATCH[2]}"
    if [[ $login == *@* ]]; then name="${login%@*}" realm="${login##*@}"; else name="$login" realm="$default_realm"; fi
    [ -n "$name" ] && [ -n "$realm" ] || { rm -f "$new_db"; fatal "$SASL_CREDENTIALS line $lineno: empty user or realm in '$login'"; }
    out="$(printf '%s' "$password" | saslpasswd2 -p -c -f "$new_db" -u "$realm" "$name" 2>&1)" \
      || { rm -f "$new_db"; fatal "saslpasswd2 failed for user '$login' ($SASL_CREDENTIALS line $lineno): $(printf '%s' "$out" | one_line)"; }
    users=$((users + 1))
  done < "$SASL_CREDENTIALS"
  unset line password
  [ "$users" -gt 0 ] || warn "$SASL_CREDENTIALS holds no users: SASL AUTH will always fail"
  if [ -f "$new_db" ]; then
    # smtpd runs as user postfix and opens the sasldb read-only.
    chown root:postfix "$new_db" && chmod 0640 "$new_db" && mv -f "$new_db" "$sasldb" \
      || fatal "cannot install $sasldb"
  else
    rm -f "$sasldb"
  fi
  info "loaded $users SASL user(s) into $sasldb (bare user names in realm $default_realm)"
fi

# --- effective settings ----------------------------------------------------------
# Each entry: "<origin>|<parameter>|<value>", origin "main.cf" or "master.cf:<service/type>".
# $name references are expanded (-x), so defaults like
# tlsproxy_tls_CAfile = $smtpd_tls_CAfile are checked with their real value.
declare -a ALL_SETTINGS=() EXPLICIT_SETTINGS=()
# Sets SETTING (no subshell: postconf -x prints about a thousand lines, and a fork per line made the
# container's start take seconds, tens of seconds on a loaded host).
split_setting() { # $1 origin-prefix, $2 line -> SETTING="origin|name|value"
  local line="$2" key value
  if [[ $line == *" = "* ]]; then key="${line%% = *}"; value="${line#* = }"
  else key="${line% =}"; value=""; fi
  if [ "$1" = master ]; then
    SETTING="master.cf:${key%/*}|${key##*/}|$value"
  else
    SETTING="main.cf|$key|$value"
  fi
}
mapfile -t main_all < <(postconf -x 2>/dev/null)
mapfile -t main_explicit < <(postconf -nx 2>/dev/null)
mapfile -t master_o < <(postconf -Px 2>/dev/null)
for l in "${main_all[@]}";      do split_setting main "$l"; ALL_SETTINGS+=("$SETTING"); done
for l in "${main_explicit[@]}"; do split_setting main "$l"; EXPLICIT_SETTINGS+=("$SETTING"); done
for l in "${master_o[@]}"; do
  split_setting master "$l"; ALL_SETTINGS+=("$SETTING"); EXPLICIT_SETTINGS+=("$SETTING")
done

# --- referenced files must exist --------------------------------------------------
declare -A CAPATHS=()
for s in "${ALL_SETTINGS[@]}"; do
  IFS='|' read -r origin name value <<<"$s"
  case "$name" in
    maillog_file|allow_mail_to_files|*_dh512_param_file) continue ;; # output file / not a path / ignored since 3.6
    *_CApath)
      if [ -z "$value" ] || [ "$value" = none ]; then continue; fi
      [ -d "$value" ] || fatal "$name = $value ($origin): CA directory does not exist"
      CAPATHS["$value"]=1
      continue ;;
    *_file|*_files|*_CAfile) ;;
    *) continue ;;
  esac
  IFS=$', \t' read -r -a files <<<"$value"
  for f in "${files[@]}"; do
    case "$f" in ''|none|default|auto) continue ;; esac
    [ "${f#/}" != "$f" ] || fatal "$name = $value ($origin): '$f' is not an absolute path"
    [ -e "$f" ] || fatal "$name = $value ($origin): file $f does not exist"
    [ -f "$f" ] || fatal "$name = $value ($origin): $f is not a regular file"
  done
done

# --- each private key matches its certificate ---------------------------------------------
# smtpd would load a mismatched pair only per session and drop STARTTLS ("TLS not available"): refuse to
# start instead, naming the files. A *_tls_chain_files entry is a key followed by its chain, or one file
# holding both.
for s in "${EXPLICIT_SETTINGS[@]}"; do
  IFS='|' read -r origin name value <<<"$s"
  case "$name" in *_tls_chain_files) ;; *) continue ;; esac
  IFS=$', \t' read -r -a files <<<"$value"
  i=0
  while [ "$i" -lt "${#files[@]}" ]; do
    key="${files[$i]}"
    # A key file alone holds no certificate; a combined file holds the key, then its chain.
    if grep -q -- '-----BEGIN CERTIFICATE-----' "$key"; then
      chain="$key"; i=$((i + 1))
    else
      chain="${files[$((i + 1))]:-}"; i=$((i + 2))
      [ -n "$chain" ] || fatal "$name ($origin): $key has no certificate chain after it"
    fi
    key_pub="$(openssl pkey -in "$key" -pubout 2>/dev/null)" || fatal "$name ($origin): $key holds no readable private key"
    cert_pub="$(openssl x509 -in "$chain" -noout -pubkey 2>/dev/null)" || fatal "$name ($origin): $chain holds no readable certificate"
    [ "$key_pub" = "$cert_pub" ] || fatal "$name ($origin): the private key in $key does not match the first certificate in $chain: deploy the key and chain of one certificate"
  done
done

# --- lookup tables and caches --------------------------------------------------------
# Tables referenced in main.cf (postconf -n) and master.cf -o overrides
# (postconf -P) are rebuilt with postmap; alias tables (alias_maps and
# alias_database, including their defaults) with postalias, whose source format
# differs ("name: value").
declare -A SEEN_TABLES=()
table_refs() { grep -oE '(hash|btree|lmdb|cdb):/[^[:space:],{}()]+' || true; }
build_table() { # $1 postmap|postalias, $2 type:path, $3 parameter, $4 origin
  local ref="$2" type path db out
  [ -z "${SEEN_TABLES[$ref]:-}" ] || return 0
  SEEN_TABLES["$ref"]=1
  type="${ref%%:*}"; path="${ref#*:}"
  if [ -f "$path" ]; then
    out="$("$1" "$ref" 2>&1)" || fatal "$1 $ref ($3, $4) failed: $(printf '%s' "$out" | one_line)"
    show "$out"
  else
    case "$type" in hash|btree) db="$path.db" ;; *) db="$path.$type" ;; esac
    [ -e "$db" ] || warn "$3 ($4) uses $ref but neither $path nor $db exists; lookups will fail"
  fi
}
for s in "${ALL_SETTINGS[@]}"; do
  IFS='|' read -r origin name value <<<"$s"
  case "$name" in alias_maps|alias_database) ;; *) continue ;; esac
  while read -r ref; do
    [ -z "$ref" ] || build_table postalias "$ref" "$name" "$origin"
  done < <(printf '%s\n' "$value" | table_refs)
done
for s in "${EXPLICIT_SETTINGS[@]}"; do
  IFS='|' read -r origin name value <<<"$s"
  case "$name" in
    proxy_read_maps|proxy_write_maps) continue ;; # lists of other parameters' tables
    *_session_cache_database|address_verify_map|postscreen_cache_map)
      # A cache written by tlsmgr/verify/postscreen, not a table: only its
      # directory must exist and be writable by the postfix user.
      path="${value#*:}"
      if [ -z "$value" ] || [ "${path#/}" = "$path" ]; then continue; fi
      dir="$(dirname "$path")"
      if [ ! -d "$dir" ]; then
        { mkdir -p "$dir" && chown postfix:postfix "$dir" && chmod 0700 "$dir"; } \
          || fatal "$name = $value ($origin): cannot create cache directory $dir"
      fi
      setpriv --reuid=postfix --regid=postfix --clear-groups test -w "$dir" \
        || warn "$name = $value ($origin): $dir is not writable by user postfix; the cache will not work"
      continue ;;
  esac
  while read -r ref; do
    [ -z "$ref" ] || build_table postmap "$ref" "$name" "$origin"
  done < <(printf '%s\n' "$value" | table_refs)
done

# --- CApath hash links -----------------------------------------------------------------
# `openssl rehash` makes symbolic links; Debian 13's `postfix check` (Postfix 3.10, without Debian 12's
# symlink exception) warns "group or other writable" for every symlink under /etc/postfix. There, links to
# a certificate of the same directory become hard links: the same file, with its mode.
rehash_capath() { # $1 directory, $2 what it is (for the error)
  local out link target
  out="$(openssl rehash "$1" 2>&1)" || fatal "openssl rehash $1 ($2) failed: $(printf '%s' "$out" | one_line)"
  show "$out"
  case "$1" in "$CONF"/*) ;; *) return 0 ;; esac
  for link in "$1"/*; do
    [ -L "$link" ] || continue
    target="$(readlink -f "$link")"
    [ "$(dirname "$target")" = "$(readlink -f "$1")" ] || continue
    ln -f "$target" "$link" || fatal "cannot replace the hash link $link ($2) by a hard link"
  done
}
for dir in "${!CAPATHS[@]}"; do
  rehash_capath "$dir" "CApath"
done

# --- chroot ------------------------------------------------------------------------------
# Like Debian's /usr/lib/postfix/configure-instance.sh (which needs cpio): when a
# master.cf service runs chrooted, copy what resolvers/NSS need and every CApath
# into the queue directory. Note: CAfile is read before chroot, CApath inside it.
compat="$(postconf -xh compatibility_level 2>/dev/null)"; compat="${compat%%.*}"
chroot_re='^[yY]$'; [ "${compat:-0}" -ge 1 ] 2>/dev/null || chroot_re='^[-yY]$'
need_chroot=""
while read -r l; do
  [[ "${l#* = }" =~ $chroot_re ]] && { need_chroot=y; break; }
done < <(postconf -F '*/*/chroot' 2>/dev/null)
QUEUE_DIR="$(postconf -xh queue_directory 2>/dev/null)"
if [ -n "$need_chroot" ]; then
  mkdir -p "$QUEUE_DIR"
  for f in etc/localtime etc/services etc/resolv.conf etc/hosts etc/host.conf \
           etc/nsswitch.conf etc/gai.conf; do
    [ -f "/$f" ] || continue
    mkdir -p "$QUEUE_DIR/$(dirname "$f")"
    rm -f "$QUEUE_DIR/$f"; cp -L "/$f" "$QUEUE_DIR/$f"; chmod a+rX "$QUEUE_DIR/$f"
  done
  mkdir -p "$QUEUE_DIR/usr/lib/zoneinfo"
  ln -sf /etc/localtime "$QUEUE_DIR/usr/lib/zoneinfo/localtime"
  for lib in /lib/*/libnss_*.so* /lib/*/libresolv*.so* /lib/*/libgcc_s*.so*; do
    [ -f "$lib" ] || continue
    mkdir -p "$QUEUE_DIR$(dirname "$lib")"
    cp -fL "$lib" "$QUEUE_DIR$lib"
  done
  for dir in "${!CAPATHS[@]}"; do
    case "$dir" in "$QUEUE_DIR"/*) continue ;; esac
    dest="$QUEUE_DIR/${dir#/}"; dest="${dest%/}"
    rm -rf "$dest"; mkdir -p "$dest"
    find "$dir" -maxdepth 1 -type f -exec cp -fL {} "$dest/" \;
    rehash_capath "$dest" "chroot copy of $dir"
  done
  info "chrooted services: copied resolver/NSS files${CAPATHS[*]:+ and CApath directories} into $QUEUE_DIR"
fi

# --- queue directory, final check ------------------------------------------------------------
# An empty volume on /var/spool/postfix or /var/lib/postfix (root-owned) gets
# the owners Postfix expects, then its subdirectories via create-missing.
MAIL_OWNER="$(postconf -xh mail_owner 2>/dev/null)"
DATA_DIR="$(postconf -xh data_directory 2>/dev/null)"
mkdir -p "$QUEUE_DIR" "$DATA_DIR"
[ "$(stat -c %U "$QUEUE_DIR")" = root ] || chown root "$QUEUE_DIR" \
  || fatal "queue_directory $QUEUE_DIR is not owned by root and chown failed"
if [ "$(stat -c %U "$DATA_DIR")" != "$MAIL_OWNER" ]; then
  { chown "$MAIL_OWNER:" "$DATA_DIR" && chmod 0700 "$DATA_DIR"; } \
    || fatal "data_directory $DATA_DIR must be owned by $MAIL_OWNER and chown failed"
fi
out="$(postfix_tty post-install create-missing 2>&1)" \
  || fatal "postfix post-install create-missing failed: $(printf '%s' "$out" | one_line)"
# postfix check = the checks `postfix start` would run (check-fatal, check-warn).
# Its output repeats each postconf warning once per internal postconf call:
# show each line once; the unused-parameter warnings were already shown above.
if ! out="$(postfix_tty check 2>&1)"; then
  printf '%s\n' "$out" | awk '!seen[$0]++' >&2
  fatal "postfix check failed: $(printf '%s' "$out" | awk '!seen[$0]++' | one_line)"
fi
show "$out"

# The checks above are exactly what `postfix start-fg` would repeat; the
# quick-start marker (as left by `postfix quick-stop`) makes it skip them once.
touch "$QUEUE_DIR/quick-start"
exec postfix start-fg
