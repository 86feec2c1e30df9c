#!/bin/sh
# Stand-in for the official redis image's entry point: runs as the redis user in /data and, as that image
# does when no config file is given, turns protected mode off (the network is the compose network).
set -eu
if [ "${1:-}" = redis-server ] || [ "${1#-}" != "${1:-}" ]; then
  [ "${1:-}" = redis-server ] && shift
  set -- redis-server --protected-mode no "$@"
fi
if [ "$(id -u)" = 0 ]; then
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
