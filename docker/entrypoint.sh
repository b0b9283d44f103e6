#!/bin/bash
# postfix-tls-cdktf container entrypoint.
#
# The configuration arrives as GENERATIONS in the config volume (the contract is docker/README.md):
#
#   /var/lib/postfix-config/generations/ID/    one complete configuration, laid out like /etc/postfix:
#     main.cf, master.cf                       required, replace Debian's entirely
#     tables/*                                 lookup table sources (postmap'ed here)
#     tls/*                                    certificates / CA files
#     tls/private/*                            private keys (forced to root:root 0600)
#     sasl/smtpd.conf                          Cyrus SASL config of smtpd (optional)
#     sasl/private/credentials                 "user password" lines -> sasldb (optional)
#     any directory named by *_CApath          CA directory (openssl rehash'ed here)
#   /var/lib/postfix-config/latest             the ID of the newest complete generation (replaced by rename)
#   /var/lib/postfix-config/status             written here: the active generation, the refused one and why
#
#   (no argument)        waits (bounded) for the first complete generation, checks and prepares it, points
#                        /etc/postfix at it and replaces itself with `postfix start-fg` (PID 1 -> master -i);
#                        a watcher started before that checks every newer generation, swaps it in and runs
#                        `postfix reload`, or refuses it and keeps the old one serving.
#   --load-generation    the loader: copies the files uploaded under /var/lib/postfix-staging into the
#                        volume as one generation (ID = hash of the content) and marks it complete.
#
# Any problem that would make Postfix fail later is reported as ONE line on stderr starting with
# "postfix-entrypoint: FATAL:" and exit status 1 (at start), or "postfix-entrypoint: refused generation ID:"
# (a newer generation that the running Postfix does not take).
# A first argument that does not start with "-" runs that command instead
# (e.g. `docker run --rm IMAGE postconf -d mail_version`), without any checks.
set -euo pipefail
umask 022

PROG=postfix-entrypoint
CONF=/etc/postfix
CONFIG_ROOT=/var/lib/postfix-config
GENERATIONS="$CONFIG_ROOT/generations"
LATEST="$CONFIG_ROOT/latest"
STATUS="$CONFIG_ROOT/status"
STAGING=/var/lib/postfix-staging
# /etc/postfix -> CURRENT -> the active generation (Debian's files at PRISTINE before the first one).
CURRENT=/etc/postfix.current
PRISTINE=/usr/share/postfix-tls-cdktf/etc-postfix
GENERATION_WAIT_SECONDS="${GENERATION_WAIT_SECONDS:-60}"

# How a failure is announced: FATAL at start, "refused generation ID" for a candidate (set by the caller).
FAILURE="${FAILURE:-FATAL}"
fatal() {
  [ -z "${REASON_FILE:-}" ] || printf '%s\n' "$*" > "$REASON_FILE"
  printf '%s: %s: %s\n' "$PROG" "$FAILURE" "$*" >&2
  exit 1
}
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

# ================================================================================================
# The loader: one generation from the staged files, marked complete by two renames.
# ================================================================================================
load_generation() {
  [ -f "$STAGING/main.cf" ] && [ -f "$STAGING/master.cf" ] \
    || fatal "$STAGING/main.cf and master.cf must be uploaded before the loader starts"
  local id files partial
  # The same bytes at the same paths give the same ID.
  id="$(cd "$STAGING" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  files="$(cd "$STAGING" && find . -type f | wc -l)"
  mkdir -p "$GENERATIONS"
  if [ -d "$GENERATIONS/$id" ]; then
    info "generation $id is already complete in $GENERATIONS"
  else
    partial="$GENERATIONS/$id.partial"
    rm -rf "$partial"
    mkdir "$partial"
    cp -a "$STAGING/." "$partial/"
    local private
    for private in "$partial/tls/private" "$partial/sasl/private"; do
      [ -d "$private" ] || continue
      chown -R root:root "$private" && chmod 0700 "$private" && find "$private" -type f -exec chmod 0600 {} +
    done
    sync -f "$partial"
    mv -T "$partial" "$GENERATIONS/$id"
  fi
  printf '%s\n' "$id" > "$LATEST.tmp.$$"
  mv -f -T "$LATEST.tmp.$$" "$LATEST"
  info "loaded generation $id ($files files) into $GENERATIONS; $LATEST names it"
}

# ================================================================================================
# Checking and preparing one generation directory (GEN). The rendered configuration names its files
# under /etc/postfix/; while GEN is a candidate they are read from GEN (gen_path). Messages name the
# paths as the configuration writes them.
# ================================================================================================
gen_path() { case "$1" in "$CONF"|"$CONF"/*) printf '%s' "$GEN${1#"$CONF"}" ;; *) printf '%s' "$1" ;; esac; }
pc() { postconf -c "$GEN" "$@"; }

check_syntax() {
  [ -f "$GEN/main.cf" ]   || fatal "$CONF/main.cf is missing (the deploying layer must deliver it in every generation)"
  [ -f "$GEN/master.cf" ] || fatal "$CONF/master.cf is missing (the deploying layer must deliver it in every generation)"
  # Debian's own files in /etc/postfix (dynamicmaps.cf, postfix-files, post-install, ...) where the
  # generation has none: /etc/postfix is the generation once it is active.
  local entry
  for entry in "$PRISTINE"/*; do
    [ -e "$GEN/${entry##*/}" ] || [ -L "$GEN/${entry##*/}" ] || cp -a "$entry" "$GEN/"
  done
  # Parse errors in main.cf/master.cf are fatal here already; unused-parameter
  # warnings are shown once (stderr) and are not fatal.
  local out maillog
  out="$(pc -n 2>&1 >/dev/null)" || fatal "postconf -n failed: $(printf '%s' "$out" | one_line)"
  [ -z "$out" ] || printf '%s\n' "$out" >&2
  out="$(pc -M 2>&1 >/dev/null)" || fatal "master.cf is invalid: $(printf '%s' "$out" | one_line)"
  maillog="$(pc -xh maillog_file 2>/dev/null || true)"
  if [ -z "$maillog" ] && [ ! -S /dev/log ]; then
    warn "maillog_file is empty and /dev/log does not exist: Postfix logs will be lost (set maillog_file = /dev/stdout and add the postlog service to master.cf)"
  fi
}

lock_private_keys() {
  if [ -d "$GEN/tls/private" ]; then
    { chown root:root "$GEN/tls/private" && chmod 0700 "$GEN/tls/private" \
      && find "$GEN/tls/private" -type f -exec chown root:root {} + -exec chmod 0600 {} +; } \
      || warn "could not set root:root 0600 on $CONF/tls/private/* (read-only mount?)"
  fi
}

# --- SASL users (Cyrus sasldb) ----------------------------------------------------
# sasl/private/credentials holds "user password" lines (blank lines and #-comments ignored). They are
# loaded into a fresh sasldb (sasldb_path of sasl/smtpd.conf, default /etc/sasldb2) for every generation,
# so removed users disappear. Realms, as Postfix's Cyrus glue looks users up:
#   "user@domain"  -> realm "domain": clients AUTH as "user@domain";
#   "user"         -> realm smtpd_sasl_local_domain, or $myhostname when that is
#                     empty: clients AUTH as "user" (or "user@<that realm>").
# Passwords go to saslpasswd2 on stdin (never argv) and are never printed.
load_sasl_users() {
  local credentials="$CONF/sasl/private/credentials" sasldb=/etc/sasldb2 configured default_realm new_db users=0 lineno=0
  local line login password name realm out db
  [ -f "$(gen_path "$credentials")" ] || return 0
  { chown root:root "$GEN/sasl/private" "$(gen_path "$credentials")" && chmod 0700 "$GEN/sasl/private" \
    && chmod 0600 "$(gen_path "$credentials")"; } || warn "could not set root:root 0600 on $credentials"
  command -v saslpasswd2 >/dev/null || fatal "$credentials exists but saslpasswd2 (package sasl2-bin) is not installed"
  if [ -f "$GEN/sasl/smtpd.conf" ]; then
    configured="$(sed -n 's/^[[:space:]]*sasldb_path:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$GEN/sasl/smtpd.conf" | tail -n 1)"
    [ -z "$configured" ] || sasldb="$configured"
  else
    warn "$credentials exists but $CONF/sasl/smtpd.conf does not: smtpd will not use the sasldb"
  fi
  [ "${sasldb#/}" != "$sasldb" ] || fatal "sasldb_path $sasldb in $CONF/sasl/smtpd.conf is not an absolute path"
  default_realm="$(pc -xh smtpd_sasl_local_domain 2>/dev/null || true)"
  [ -n "$default_realm" ] || default_realm="$(pc -xh myhostname)"
  db="$(gen_path "$sasldb")"
  mkdir -p "$(dirname "$db")"
  new_db="$db.new.$$"
  rm -f "$new_db"
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line="${line%$'\r'}"
    case "$line" in ''|'#'*) continue ;; esac
    [[ $line =~ ^[[:space:]]*([^[:space:]]+)[[:space:]]+(.+)$ ]] \
      || { rm -f "$new_db"; fatal "$credentials line $lineno: expected 'user password'"; }
    login="${BASH_REMATCH[1]}" password="${BASH_REMATCH[2]}"
    if [[ $login == *@* ]]; then name="${login%@*}" realm="${login##*@}"; else name="$login" realm="$default_realm"; fi
    [ -n "$name" ] && [ -n "$realm" ] || { rm -f "$new_db"; fatal "$credentials line $lineno: empty user or realm in '$login'"; }
    out="$(printf '%s' "$password" | saslpasswd2 -p -c -f "$new_db" -u "$realm" "$name" 2>&1)" \
      || { rm -f "$new_db"; fatal "saslpasswd2 failed for user '$login' ($credentials line $lineno): $(printf '%s' "$out" | one_line)"; }
    users=$((users + 1))
  done < "$(gen_path "$credentials")"
  unset line password
  [ "$users" -gt 0 ] || warn "$credentials holds no users: SASL AUTH will always fail"
  if [ -f "$new_db" ]; then
    # smtpd runs as user postfix and opens the sasldb read-only.
    chown root:postfix "$new_db" && chmod 0640 "$new_db" && mv -f "$new_db" "$db" \
      || fatal "cannot install $sasldb"
  else
    rm -f "$db"
  fi
  info "loaded $users SASL user(s) into $sasldb (bare user names in realm $default_realm)"
}

# --- effective settings ----------------------------------------------------------
# Each entry: "<origin>|<parameter>|<value>", origin "main.cf" or "master.cf:<service/type>".
# $name references are expanded (-x), so defaults like
# tlsproxy_tls_CAfile = $smtpd_tls_CAfile are checked with their real value.
declare -a ALL_SETTINGS=() EXPLICIT_SETTINGS=()
declare -A CAPATHS=()
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
read_settings() {
  local l main_all main_explicit master_o
  mapfile -t main_all < <(pc -x 2>/dev/null)
  mapfile -t main_explicit < <(pc -nx 2>/dev/null)
  mapfile -t master_o < <(pc -Px 2>/dev/null)
  for l in "${main_all[@]}";      do split_setting main "$l"; ALL_SETTINGS+=("$SETTING"); done
  for l in "${main_explicit[@]}"; do split_setting main "$l"; EXPLICIT_SETTINGS+=("$SETTING"); done
  for l in "${master_o[@]}"; do
    split_setting master "$l"; ALL_SETTINGS+=("$SETTING"); EXPLICIT_SETTINGS+=("$SETTING")
  done
}

# --- referenced files must exist --------------------------------------------------
check_referenced_files() {
  local s origin name value files f
  for s in "${ALL_SETTINGS[@]}"; do
    IFS='|' read -r origin name value <<<"$s"
    case "$name" in
      maillog_file|allow_mail_to_files|*_dh512_param_file) continue ;; # output file / not a path / ignored since 3.6
      *_CApath)
        if [ -z "$value" ] || [ "$value" = none ]; then continue; fi
        [ -d "$(gen_path "$value")" ] || fatal "$name = $value ($origin): CA directory does not exist"
        CAPATHS["$value"]=1
        continue ;;
      *_file|*_files|*_CAfile) ;;
      *) continue ;;
    esac
    IFS=$', \t' read -r -a files <<<"$value"
    for f in "${files[@]}"; do
      case "$f" in ''|none|default|auto) continue ;; esac
      [ "${f#/}" != "$f" ] || fatal "$name = $value ($origin): '$f' is not an absolute path"
      [ -e "$(gen_path "$f")" ] || fatal "$name = $value ($origin): file $f does not exist"
      [ -f "$(gen_path "$f")" ] || fatal "$name = $value ($origin): $f is not a regular file"
    done
  done
}

# --- each private key matches its certificate ---------------------------------------------
# smtpd would load a mismatched pair only per session and drop STARTTLS ("TLS not available"): refuse it
# instead, naming the files. A *_tls_chain_files entry is a key followed by its chain, or one file
# holding both.
check_key_pairs() {
  local s origin name value files i key chain key_pub cert_pub
  for s in "${EXPLICIT_SETTINGS[@]}"; do
    IFS='|' read -r origin name value <<<"$s"
    case "$name" in *_tls_chain_files) ;; *) continue ;; esac
    IFS=$', \t' read -r -a files <<<"$value"
    i=0
    while [ "$i" -lt "${#files[@]}" ]; do
      key="${files[$i]}"
      # A key file alone holds no certificate; a combined file holds the key, then its chain.
      if grep -q -- '-----BEGIN CERTIFICATE-----' "$(gen_path "$key")"; then
        chain="$key"; i=$((i + 1))
      else
        chain="${files[$((i + 1))]:-}"; i=$((i + 2))
        [ -n "$chain" ] || fatal "$name ($origin): $key has no certificate chain after it"
      fi
      key_pub="$(openssl pkey -in "$(gen_path "$key")" -pubout 2>/dev/null)" || fatal "$name ($origin): $key holds no readable private key"
      cert_pub="$(openssl x509 -in "$(gen_path "$chain")" -noout -pubkey 2>/dev/null)" || fatal "$name ($origin): $chain holds no readable certificate"
      [ "$key_pub" = "$cert_pub" ] || fatal "$name ($origin): the private key in $key does not match the first certificate in $chain: deploy the key and chain of one certificate"
    done
  done
}

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
  type="${ref%%:*}"; path="$(gen_path "${ref#*:}")"
  if [ -f "$path" ]; then
    out="$("$1" -c "$GEN" "$type:$path" 2>&1)" || fatal "$1 $ref ($3, $4) failed: $(printf '%s' "$out" | one_line)"
    show "$out"
  else
    case "$type" in hash|btree) db="$path.db" ;; *) db="$path.$type" ;; esac
    [ -e "$db" ] || warn "$3 ($4) uses $ref but neither ${ref#*:} nor its database exists; lookups will fail"
  fi
}
build_tables() {
  local s origin name value ref path dir
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
}

# --- CApath hash links -----------------------------------------------------------------
# `openssl rehash` makes symbolic links; Debian 13's `postfix check` (Postfix 3.10, without Debian 12's
# symlink exception) warns "group or other writable" for every symlink under /etc/postfix. There, links to
# a certificate of the same directory become hard links: the same file, with its mode.
rehash_capath() { # $1 directory as configured, $2 the directory to hash (its copy), $3 what it is (for errors)
  local out link target
  out="$(openssl rehash "$2" 2>&1)" || fatal "openssl rehash $1 ($3) failed: $(printf '%s' "$out" | one_line)"
  show "$out"
  case "$1" in "$CONF"/*) ;; *) return 0 ;; esac
  for link in "$2"/*; do
    [ -L "$link" ] || continue
    target="$(readlink -f "$link")"
    [ "$(dirname "$target")" = "$(readlink -f "$2")" ] || continue
    ln -f "$target" "$link" || fatal "cannot replace the hash link $link ($3) by a hard link"
  done
}
rehash_capaths() {
  local dir
  for dir in "${!CAPATHS[@]}"; do rehash_capath "$dir" "$(gen_path "$dir")" CApath; done
}

# --- chroot ------------------------------------------------------------------------------
# Like Debian's /usr/lib/postfix/configure-instance.sh (which needs cpio): when a
# master.cf service runs chrooted, copy what resolvers/NSS need and every CApath
# into the queue directory. Note: CAfile is read before chroot, CApath inside it.
prepare_chroot() {
  local compat chroot_re need_chroot="" l queue_dir f lib dir dest out
  compat="$(pc -xh compatibility_level 2>/dev/null)"; compat="${compat%%.*}"
  chroot_re='^[yY]$'; [ "${compat:-0}" -ge 1 ] 2>/dev/null || chroot_re='^[-yY]$'
  while read -r l; do
    [[ "${l#* = }" =~ $chroot_re ]] && { need_chroot=y; break; }
  done < <(pc -F '*/*/chroot' 2>/dev/null)
  [ -n "$need_chroot" ] || return 0
  queue_dir="$(pc -xh queue_directory 2>/dev/null)"
  mkdir -p "$queue_dir"
  for f in etc/localtime etc/services etc/resolv.conf etc/hosts etc/host.conf \
           etc/nsswitch.conf etc/gai.conf; do
    [ -f "/$f" ] || continue
    mkdir -p "$queue_dir/$(dirname "$f")"
    rm -f "$queue_dir/$f"; cp -L "/$f" "$queue_dir/$f"; chmod a+rX "$queue_dir/$f"
  done
  mkdir -p "$queue_dir/usr/lib/zoneinfo"
  ln -sf /etc/localtime "$queue_dir/usr/lib/zoneinfo/localtime"
  for lib in /lib/*/libnss_*.so* /lib/*/libresolv*.so* /lib/*/libgcc_s*.so*; do
    [ -f "$lib" ] || continue
    mkdir -p "$queue_dir$(dirname "$lib")"
    cp -fL "$lib" "$queue_dir$lib"
  done
  for dir in "${!CAPATHS[@]}"; do
    case "$dir" in "$queue_dir"/*) continue ;; esac
    dest="$queue_dir/${dir#/}"; dest="${dest%/}"
    rm -rf "$dest"; mkdir -p "$dest"
    find "$(gen_path "$dir")" -maxdepth 1 -type f -exec cp -fL {} "$dest/" \;
    rehash_capath "$dest" "$dest" "chroot copy of $dir"
  done
  info "chrooted services: copied resolver/NSS files${CAPATHS[*]:+ and CApath directories} into $queue_dir"
}

# Every check, then every preparation, of the generation in $1 (run in its own process: --prepare-generation).
prepare_generation() {
  GEN="$1"
  check_syntax
  read_settings
  check_referenced_files
  check_key_pairs
  lock_private_keys
  load_sasl_users
  build_tables
  rehash_capaths
  prepare_chroot
}

# ================================================================================================
# Generations: choosing, swapping in, reporting.
# ================================================================================================
# The ID in `latest` when it names a complete generation.
read_latest() {
  local id
  IFS= read -r id < "$LATEST" 2>/dev/null || return 1
  [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] && [ -d "$GENERATIONS/$id" ] || return 1
  printf '%s' "$id"
}

# status: one key=value per line, replaced by rename (the healthcheck reads it).
STATUS_ACTIVE="" STATUS_REFUSED="" STATUS_REASON=""
write_status() {
  { printf 'active=%s\n' "$STATUS_ACTIVE"
    printf 'refused=%s\n' "$STATUS_REFUSED"
    printf 'reason=%s\n' "$STATUS_REASON"
    printf 'updated=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } > "$STATUS.tmp.$$" && mv -f -T "$STATUS.tmp.$$" "$STATUS" \
    || warn "cannot write $STATUS"
}
read_status_active() { sed -n 's/^active=//p' "$STATUS" 2>/dev/null | head -n 1 || true; }

# Checks and prepares generation $1 in a process of its own (fatal ends that process, not the caller);
# `refused` sets STATUS_REASON. $2: how its failure is announced.
check_generation() {
  local reason_file rc=0
  reason_file="$(mktemp)"
  FAILURE="$2" REASON_FILE="$reason_file" "$0" --prepare-generation "$GENERATIONS/$1" || rc=$?
  STATUS_REASON="$(head -n 1 "$reason_file")"
  [ "$rc" -eq 0 ] || [ -n "$STATUS_REASON" ] || STATUS_REASON="the checks exited $rc"
  rm -f "$reason_file"
  return "$rc"
}

# Points /etc/postfix at generation $1 in one rename.
swap_to() {
  ln -s "$1" "$CURRENT.new.$$"
  mv -f -T "$CURRENT.new.$$" "$CURRENT"
}

# The watcher: a newer complete generation is checked, swapped in and reloaded, or refused. After a switch,
# the generations it has seen are removed except the active and the previous one (never one it has not
# seen: a feeder may be writing it).
watch_generations() {
  set +e
  local seen="$1" id previous previous_dir out old
  local -a handled=("$1")
  while sleep 1; do
    id="$(read_latest)" || continue
    [ "$id" != "$seen" ] || continue
    # A generation that arrives while master is still starting waits for it.
    postfix status >/dev/null 2>&1 || continue
    seen="$id"
    handled+=("$id")
    info "generation $id is complete; checking it"
    if ! check_generation "$id" "refused generation $id"; then
      STATUS_REFUSED="$id"
      write_status
      warn "generation $id refused; still serving generation $STATUS_ACTIVE"
      continue
    fi
    previous_dir="$(readlink "$CURRENT")"
    swap_to "$GENERATIONS/$id"
    if ! out="$(postfix_tty check 2>&1)"; then
      swap_to "$previous_dir"
      STATUS_REFUSED="$id" STATUS_REASON="postfix check failed: $(printf '%s' "$out" | awk '!seen[$0]++' | one_line)"
      write_status
      printf '%s: refused generation %s: %s\n' "$PROG" "$id" "$STATUS_REASON" >&2
      continue
    fi
    show "$out"
    if ! out="$(postfix_tty reload 2>&1)"; then
      warn "postfix reload after swapping in generation $id failed: $(printf '%s' "$out" | one_line)"
    fi
    previous="$STATUS_ACTIVE"
    STATUS_ACTIVE="$id" STATUS_REFUSED="" STATUS_REASON=""
    write_status
    info "generation $id is active (postfix reload)"
    for old in "${handled[@]}"; do
      [ "$old" = "$id" ] || [ "$old" = "$previous" ] || rm -rf "${GENERATIONS:?}/$old"
    done
    handled=("$previous" "$id")
  done
}

case "${1:-}" in
  --load-generation) load_generation; exit 0 ;;
  --prepare-generation) prepare_generation "$2"; exit 0 ;;
  '') ;;
  *) fatal "unknown option $1 (expected --load-generation, or no argument)" ;;
esac

# ================================================================================================
# Start: the first complete generation (the newest; the last active one when the newest is refused).
# ================================================================================================
waited=0
until id="$(read_latest)"; do
  [ "$waited" -lt "$GENERATION_WAIT_SECONDS" ] \
    || fatal "no complete configuration generation after ${GENERATION_WAIT_SECONDS}s: $LATEST must name a directory in $GENERATIONS (the loader container writes both; see docker/README.md)"
  [ "$waited" -gt 0 ] || info "waiting up to ${GENERATION_WAIT_SECONDS}s for a complete configuration generation in $GENERATIONS"
  sleep 1
  waited=$((waited + 1))
done
# A refused newest generation does not stop a container that served an older one: it starts with that.
fallback="$(read_status_active)"
[ -n "$fallback" ] && [ "$fallback" != "$id" ] && [ -d "$GENERATIONS/$fallback" ] || fallback=""
if [ -z "$fallback" ]; then
  check_generation "$id" FATAL || exit 1
  STATUS_ACTIVE="$id"
elif check_generation "$id" "refused generation $id"; then
  STATUS_ACTIVE="$id"
else
  STATUS_REFUSED="$id" refused_reason="$STATUS_REASON"
  warn "starting with generation $fallback, the last active one, instead of the refused $id"
  check_generation "$fallback" FATAL || exit 1
  STATUS_ACTIVE="$fallback" STATUS_REASON="$refused_reason"
fi
swap_to "$GENERATIONS/$STATUS_ACTIVE"
info "starting with generation $STATUS_ACTIVE"

# --- queue directory, final check ------------------------------------------------------------
# An empty volume on /var/spool/postfix or /var/lib/postfix (root-owned) gets
# the owners Postfix expects, then its subdirectories via create-missing.
QUEUE_DIR="$(postconf -xh queue_directory 2>/dev/null)"
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
write_status

# The checks above are exactly what `postfix start-fg` would repeat; the
# quick-start marker (as left by `postfix quick-stop`) makes it skip them once.
touch "$QUEUE_DIR/quick-start"
watch_generations "${STATUS_REFUSED:-$STATUS_ACTIVE}" &
exec postfix start-fg
