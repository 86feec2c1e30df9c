#!/usr/bin/env bash
# The container test: docker-compose.yml from a clean state to a tool call through Caddy, with Podman.
#
#   bash tools/docker/test/compose-test.sh      (root; podman, podman-compose, mmdebstrap, curl installed;
#                                                `npm ci && npm run build` done on the host for the client)
#
# 1. Builds the stand-in base images if they are missing (tools/docker/build-standins.sh, cached per machine)
#    and the Airlock image (tools/docker/Dockerfile, layer-cached); AIRLOCK_TEST_SKIP_BUILD=1 skips both.
# 2. `podman-compose up -d` of docker-compose.yml plus compose.test.yml (an MCP fixture upstream), with fresh
#    volumes, AIRLOCK_GATEWAY_REPLICAS gateway replicas (3) and random secrets; Caddy on 127.0.0.1:18443.
# 3. Waits for the migration to finish and both hostnames to answer through Caddy; checks HTTP/2 with curl
#    and HTTP/3 when this curl can speak it.
# 4. Runs compose-client.mjs on the host (Node, the MCP SDK client) with NODE_EXTRA_CA_CERTS set to Caddy's
#    internal root certificate, copied out of the caddy container.
# 5. `podman-compose down -v`, also on failure (after printing every container's log tail).
set -euo pipefail
cd "$(dirname "$0")/../../.."
started=$(date +%s)
say() { printf '[compose-test %3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/tools/docker/containers.conf}
project=${AIRLOCK_TEST_PROJECT:-airlockci}
port=${AIRLOCK_TEST_HTTPS_PORT:-18443}
replicas=${AIRLOCK_TEST_GATEWAY_REPLICAS:-3}

export AIRLOCK_NODE_IMAGE=localhost/airlock-standin/node:24
export AIRLOCK_POSTGRES_IMAGE=localhost/airlock-standin/postgres:15
export AIRLOCK_REDIS_IMAGE=localhost/airlock-standin/redis:7
export AIRLOCK_CADDY_IMAGE=localhost/airlock-standin/caddy:2
export AIRLOCK_IMAGE=localhost/airlock:local
export AIRLOCK_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID=ci-admin
export AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AIRLOCK_POSTGRES_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AIRLOCK_AUTH_HOST=${AIRLOCK_AUTH_HOST:-auth.airlock.localhost}
export AIRLOCK_MCP_HOST=${AIRLOCK_MCP_HOST:-mcp.airlock.localhost}
export AIRLOCK_HTTPS_PORT=$port AIRLOCK_HTTPS_BIND=127.0.0.1
export AIRLOCK_GATEWAY_REPLICAS=$replicas
# Debug logs name every request's id: the client reads them to tell which gateway replica served what.
export AIRLOCK_LOG_LEVEL=debug

compose() { podman-compose --no-ansi -p "$project" -f docker-compose.yml -f tools/docker/test/compose.test.yml "$@"; }
containers() { podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}' "$@"; }
work=$(mktemp -d)
down() {
  compose down -v >"$work/down.log" 2>&1 || { cat "$work/down.log"; return 1; }
  # podman-compose 1.0 leaves the project's network behind.
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
}
on_exit() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    say "FAILED: logs of every container follow"
    for name in $(containers); do
      echo "----- $name ($(podman inspect --format '{{.State.Status}} exit={{.State.ExitCode}}' "$name" 2>/dev/null))"
      podman logs --tail 40 "$name" 2>&1 | cut -c1-400
    done
  fi
  say "compose down -v"
  down || true
  [ -z "$(containers)" ] || { say "containers left behind: $(containers | tr '\n' ' ')"; status=1; }
  rm -rf "$work"
  say "finished with status $status"
  exit "$status"
}
trap on_exit EXIT

if [ "${AIRLOCK_TEST_SKIP_BUILD:-0}" = 1 ]; then
  say "AIRLOCK_TEST_SKIP_BUILD=1: using the images already here"
else
  say "stand-in base images"
  bash tools/docker/build-standins.sh
  say "Airlock image ($AIRLOCK_IMAGE from tools/docker/Dockerfile on $AIRLOCK_NODE_IMAGE)"
  podman build --quiet --build-arg "NODE_IMAGE=$AIRLOCK_NODE_IMAGE" -f tools/docker/Dockerfile -t "$AIRLOCK_IMAGE" . >/dev/null
  # The image this replaced (untagged now) goes; the build stages' layers stay as the next build's cache.
  podman image prune --force --filter label=io.airlock.image=runtime >/dev/null
fi

say "clean state: nothing of project $project left from an earlier run"
down
say "compose up -d ($replicas gateway replicas)"
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; exit 1; }
containers --format '{{.Names}}\t{{.Status}}'

wait_for() { # description, timeout seconds, command...
  local what=$1 limit=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then say "timed out after ${limit}s waiting for $what"; return 1; fi
    sleep 2
  done
  say "$what: ok"
}
migrate_done() { [ "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "${project}_migrate_1")" = "exited 0" ]; }
wait_for "migrations applied (the migrate container exited 0)" 240 migrate_done
podman logs "${project}_migrate_1" 2>&1 | tail -n 1

ca="$work/caddy-root.crt"
wait_for "Caddy's internal CA root" 120 podman cp "${project}_caddy_1:/data/caddy/pki/authorities/local/root.crt" "$ca"
curl_to() { curl --silent --show-error --fail --cacert "$ca" --resolve "$1:$port:127.0.0.1" "${@:2}"; }
wait_for "https://$AIRLOCK_AUTH_HOST:$port/readyz" 240 curl_to "$AIRLOCK_AUTH_HOST" "https://$AIRLOCK_AUTH_HOST:$port/readyz"
wait_for "https://$AIRLOCK_MCP_HOST:$port/readyz" 240 curl_to "$AIRLOCK_MCP_HOST" "https://$AIRLOCK_MCP_HOST:$port/readyz"
for host in "$AIRLOCK_AUTH_HOST" "$AIRLOCK_MCP_HOST"; do
  version=$(curl_to "$host" --http2 -o /dev/null -w '%{http_version}' "https://$host:$port/healthz")
  [ "$version" = 2 ] || { say "expected HTTP/2 from https://$host:$port, got HTTP/$version"; exit 1; }
done
say "curl: HTTP/2 over TLS from both hostnames"
if curl --version | grep -q HTTP3; then
  version=$(curl_to "$AIRLOCK_MCP_HOST" --http3-only -o /dev/null -w '%{http_version}' "https://$AIRLOCK_MCP_HOST:$port/healthz")
  [ "$version" = 3 ] || { say "expected HTTP/3, got HTTP/$version"; exit 1; }
  say "curl: HTTP/3 (QUIC over the published UDP port)"
else
  say "curl: this curl ($(curl --version | head -n 1 | cut -d' ' -f1-2)) has no HTTP/3; only Caddy's Alt-Svc advertisement is checked (by the client)"
fi

gateways=$(containers --filter "label=com.docker.compose.service=mcp-gateway" --format '{{.Names}}' | sort | paste -sd, -)
say "MCP client on the host (gateway replicas: $gateways)"
NODE_EXTRA_CA_CERTS="$ca" \
AIRLOCK_TEST_AUTH_URL="https://$AIRLOCK_AUTH_HOST:$port" \
AIRLOCK_TEST_MCP_URL="https://$AIRLOCK_MCP_HOST:$port" \
AIRLOCK_TEST_ADMIN_ID="$AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID" \
AIRLOCK_TEST_ADMIN_SECRET="$AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET" \
AIRLOCK_TEST_UPSTREAM_URL="http://mcp-fixture:3010/mcp" \
AIRLOCK_TEST_GATEWAY_CONTAINERS="$gateways" \
  node tools/docker/test/compose-client.mjs
