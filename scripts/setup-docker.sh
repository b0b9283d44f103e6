#!/usr/bin/env bash
# Prepare a local Docker engine and the Postfix image of one Debian suite:
#   trixie:   Debian 13, Postfix 3.10 (the default PostfixImage) -> postfix-tls-cdktf:trixie
#   bookworm: Debian 12, Postfix 3.7                             -> postfix-tls-cdktf:bookworm
#
#   scripts/setup-docker.sh                          # both suites (what the live tests need)
#   POSTFIX_SUITE=trixie scripts/setup-docker.sh     # one suite
#   and, with trixie, the test-tools image (Knot, Unbound, testssl.sh 3.2) of the DANE end-to-end and
#   testssl tests.
#
# Idempotent: every step checks first and does nothing when already done, so a
# second run takes a few seconds. Works without a container registry: the
# debian:<suite>-slim base image is built with mmdebstrap from Debian's apt
# mirrors when `docker pull` fails. The Docker daemon started here (if none is
# running) is detached and keeps running after this script exits.
#
# Network rule: no bridge networks. dockerd runs with --bridge=none and every
# build runs with --network host.
#
# Environment overrides:
#   POSTFIX_SUITE        Debian suite: trixie or bookworm                     (both, trixie first)
#   POSTFIX_IMAGE        the one image tag to build   (postfix-tls-cdktf:<suite>)
#   BASE_IMAGE           base image tag               (debian:<suite>-slim)
#   DEBIAN_MIRROR        mirror for mmdebstrap       (http://deb.debian.org/debian)
#   DEBIAN_SECURITY      security mirror             (http://deb.debian.org/debian-security)
#   DOCKERD_LOG          dockerd log file            (/var/log/dockerd.log)
#   TEST_TOOLS_IMAGE     test-tools image tag        (postfix-tls-cdktf-test-tools:latest)
#   FORCE_BUILD=1        rebuild the images even if their content labels match
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
DOCKER_CTX="$REPO_ROOT/docker"
TOOLS_CTX="$REPO_ROOT/test/integration/images/test-tools"

if [ -z "${POSTFIX_SUITE:-}" ]; then
  POSTFIX_SUITE=trixie bash "${BASH_SOURCE[0]}"
  POSTFIX_SUITE=bookworm exec bash "${BASH_SOURCE[0]}"
fi
SUITE="$POSTFIX_SUITE"
case "$SUITE" in
  bookworm|trixie) ;;
  *) printf '[setup-docker] FATAL: POSTFIX_SUITE=%s: expected bookworm or trixie\n' "$SUITE" >&2; exit 1 ;;
esac
# The tag PostfixImage builds for the suite's Postfix release.
IMAGE_TAGS=("${POSTFIX_IMAGE:-postfix-tls-cdktf:$SUITE}")
POSTFIX_IMAGE="${IMAGE_TAGS[0]}"
BASE_IMAGE="${BASE_IMAGE:-debian:$SUITE-slim}"
TEST_TOOLS_IMAGE="${TEST_TOOLS_IMAGE:-postfix-tls-cdktf-test-tools:latest}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY="${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/postfix-tls-cdktf"
LABEL_KEY="org.postfix-tls-cdktf.content-sha256"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "[setup-docker] FATAL: run as root (or install sudo)" >&2; exit 1; }
  SUDO="sudo"
fi

log() { printf '[setup-docker] %s\n' "$*" >&2; }
die() { printf '[setup-docker] FATAL: %s\n' "$*" >&2; exit 1; }

now() { date +%s.%N; }
T_SCRIPT="$(now)"
T_STEP=""
step_start() { T_STEP="$(now)"; log "$1 ..."; }
step_done() { log "$1 ($(awk -v a="$T_STEP" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s)"; }

docker_ok() { docker info >/dev/null 2>&1; }

# --- 1. packages -------------------------------------------------------------
step_start "step 1/5: packages (dockerd, mmdebstrap)"
if command -v dockerd >/dev/null 2>&1 && command -v mmdebstrap >/dev/null 2>&1 \
   && command -v docker >/dev/null 2>&1; then
  step_done "step 1/5: packages already installed"
else
  aptlog="$(mktemp)"
  # NEEDRESTART_SUSPEND: docker.io recommends needrestart, which would scan
  # running services after the install.
  if ! { $SUDO env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get update -qq \
         && $SUDO env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
              apt-get install -y -qq docker.io mmdebstrap; } >"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2; rm -f "$aptlog"
    die "apt-get install docker.io mmdebstrap failed"
  fi
  rm -f "$aptlog"
  step_done "step 1/5: installed docker.io mmdebstrap"
fi

# --- 2. docker engine --------------------------------------------------------
step_start "step 2/5: docker engine"
if docker_ok; then
  step_done "step 2/5: docker engine already running"
else
  DOCKERD_BIN="$(command -v dockerd || echo /usr/sbin/dockerd)"
  $SUDO mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: own session, immune to the hangup/process-group kill that
  # ends this script's job; stdin detached so the caller's shell is not held.
  $SUDO setsid nohup "$DOCKERD_BIN" --iptables=false --bridge=none \
    </dev/null >>"$DOCKERD_LOG" 2>&1 &
  disown || true
  for _ in $(seq 1 120); do
    docker_ok && break
    sleep 0.5
  done
  docker_ok || { tail -n 20 "$DOCKERD_LOG" >&2 || true; die "dockerd did not answer 'docker info' within 60 s (log: $DOCKERD_LOG)"; }
  step_done "step 2/5: started dockerd (log: $DOCKERD_LOG)"
fi

# --- 3. base image -----------------------------------------------------------
step_start "step 3/5: base image $BASE_IMAGE"
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  step_done "step 3/5: base image present"
elif timeout 20 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
  step_done "step 3/5: pulled $BASE_IMAGE"
else
  log "step 3/5: no registry; building $BASE_IMAGE with mmdebstrap"
  mkdir -p "$CACHE_DIR"
  # The cache file name depends on suite and mirrors, so changing them rebuilds.
  key="$(printf '%s\n' "$SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY" "v1" | sha256sum | cut -c1-12)"
  tarball="$CACHE_DIR/$SUITE-rootfs-$key.tar"
  if [ ! -s "$tarball" ]; then
    tmp="$tarball.tmp.$$"
    trap 'rm -f "$tmp"' EXIT
    # Same sources as the official image (main, updates, security), so the apt
    # sources inside the image work from `docker build --network host`.
    # The dpkg path excludes mirror the official "slim" variant and persist in
    # the image (/etc/dpkg/dpkg.cfg.d/99mmdebstrap).
    # shellcheck disable=SC2016 # "$1" in the hooks is expanded by mmdebstrap (the rootfs path)
    $SUDO mmdebstrap --quiet --variant=apt --format=tar \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/lintian/*' \
      --aptopt='APT::Install-Recommends "false"' \
      --customize-hook='rm -f "$1"/etc/resolv.conf "$1"/etc/hostname' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      "$SUITE" "$tmp" \
      "deb $DEBIAN_MIRROR $SUITE main" \
      "deb $DEBIAN_MIRROR $SUITE-updates main" \
      "deb $DEBIAN_SECURITY $SUITE-security main" >/dev/null
    $SUDO chown "$(id -u):$(id -g)" "$tmp"
    mv "$tmp" "$tarball"
    trap - EXIT
    log "step 3/5: rootfs cached at $tarball"
  else
    log "step 3/5: using cached rootfs $tarball"
  fi
  docker import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" "$BASE_IMAGE" >/dev/null
  step_done "step 3/5: imported $BASE_IMAGE"
fi

# --- 4. Postfix image ----------------------------------------------------------
step_start "step 4/5: image ${IMAGE_TAGS[*]} (Debian $SUITE)"
[ -f "$DOCKER_CTX/Dockerfile" ] || die "missing $DOCKER_CTX/Dockerfile"
base_id="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")"
# Content hash: base image id + path, mode and bytes of every file in docker/
# except *.md (documentation is not part of the image).
content_sha="$(
  cd "$DOCKER_CTX"
  {
    echo "base $base_id"
    find . -type f ! -name '*.swp' ! -name '*.md' -print0 | LC_ALL=C sort -z |
      while IFS= read -r -d '' f; do
        printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
      done
  } | sha256sum | cut -d' ' -f1
)"
label_of() { docker image inspect -f "{{index .Config.Labels \"$LABEL_KEY\"}}" "$1" 2>/dev/null || true; }
# An image under any of the tags that was built from this content is reused (and tagged with the others).
current_tag=""
for tag in "${IMAGE_TAGS[@]}"; do
  if [ "$(label_of "$tag")" = "$content_sha" ]; then current_tag="$tag"; break; fi
done
if [ "${FORCE_BUILD:-0}" != 1 ] && [ -n "$current_tag" ]; then
  for tag in "${IMAGE_TAGS[@]}"; do
    [ "$tag" = "$current_tag" ] || docker tag "$current_tag" "$tag"
  done
  step_done "step 4/5: image up to date (${content_sha:0:12})"
else
  buildlog="$(mktemp)"
  # DOCKER_BUILDKIT=0: the classic builder works with any daemon (the Debian
  # 20.10 engine has no buildx plugin) and honours --network host.
  tag_args=()
  for tag in "${IMAGE_TAGS[@]}"; do tag_args+=(-t "$tag"); done
  if ! DOCKER_BUILDKIT=0 docker build --network host --force-rm \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --label "$LABEL_KEY=$content_sha" "${tag_args[@]}" "$DOCKER_CTX" >"$buildlog" 2>&1; then
    cat "$buildlog" >&2
    rm -f "$buildlog"
    die "docker build failed"
  fi
  rm -f "$buildlog"
  # Earlier builds of this image, now untagged (only images carrying our label).
  docker image prune -f --filter "label=$LABEL_KEY" >/dev/null 2>&1 || true
  step_done "step 4/5: built ${IMAGE_TAGS[*]} (${content_sha:0:12}, $(docker run --rm --network host "$POSTFIX_IMAGE" postconf -dh mail_version 2>/dev/null))"
fi

# --- 5. test-tools image ----------------------------------------------------------
# Knot DNS, Unbound and kdig (the signed zone and validating resolver of dane-end-to-end.test.ts) and
# testssl.sh 3.2 with OpenSSL 3.5 (testssl.test.ts, post-quantum.test.ts), from Debian 13's packages. Not part
# of what the constructs deploy.
if [ "$SUITE" != trixie ]; then
  log "step 5/5: test-tools image: only with the trixie suite"
else
  step_start "step 5/5: image $TEST_TOOLS_IMAGE"
  [ -f "$TOOLS_CTX/Dockerfile" ] || die "missing $TOOLS_CTX/Dockerfile"
  tools_sha="$(
    cd "$TOOLS_CTX"
    {
      echo "base $base_id"
      find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z |
        while IFS= read -r -d '' f; do printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"; done
    } | sha256sum | cut -d' ' -f1
  )"
  current="$(docker image inspect -f "{{index .Config.Labels \"$LABEL_KEY\"}}" "$TEST_TOOLS_IMAGE" 2>/dev/null || true)"
  if [ "${FORCE_BUILD:-0}" != 1 ] && [ "$current" = "$tools_sha" ]; then
    step_done "step 5/5: image up to date (${tools_sha:0:12})"
  else
    buildlog="$(mktemp)"
    if ! DOCKER_BUILDKIT=0 docker build --network host --force-rm \
          --label "$LABEL_KEY=$tools_sha" -t "$TEST_TOOLS_IMAGE" "$TOOLS_CTX" >"$buildlog" 2>&1; then
      cat "$buildlog" >&2
      rm -f "$buildlog"
      die "docker build of $TEST_TOOLS_IMAGE failed"
    fi
    rm -f "$buildlog"
    step_done "step 5/5: built $TEST_TOOLS_IMAGE (${tools_sha:0:12})"
  fi
fi

log "done in $(awk -v a="$T_SCRIPT" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s"
