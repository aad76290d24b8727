#!/usr/bin/env bash
# Installs what the tests need when it is missing: redis-server, promtool and
# prometheus, chromium. Idempotent: a no-op when everything is present.
# Under CI=true a dependency that cannot be installed fails the run.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need+=(prometheus)
{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${need[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "deps: not root and no sudo; install ${need[*]} by hand" >&2
    [ "${CI:-}" = "true" ] && exit 1
    exit 0
  fi
fi

install() {
  # Keep package scripts from starting services: the tests start their own
  # servers on free loopback ports.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    created=1
  fi
  local rc=0
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || rc=$?
  if [ $rc -eq 0 ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
  fi
  if [ $created -eq 1 ]; then
    "${sudo[@]}" rm -f "$policy"
  fi
  return $rc
}

if ! install "${need[@]}"; then
  echo "deps: could not install ${need[*]}" >&2
  [ "${CI:-}" = "true" ] && exit 1
  echo "deps: tests that need them will be skipped" >&2
fi
