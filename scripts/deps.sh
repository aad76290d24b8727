#!/usr/bin/env bash
# Installs what the tests need when it is missing: redis-server, Debian's
# promtool and prometheus (2.x), VictoriaMetrics and vmalert, chromium, and
# Prometheus 3's promtool and prometheus, built from the Go module proxy into
# a cache directory (testdeps finds them there). Idempotent: a no-op when
# everything is present. Under CI=true a dependency that cannot be installed
# fails the run.
set -euo pipefail

# Prometheus 3: v0.316.0 of the Go module is Prometheus 3, built once per
# machine without its service-discovery plugins (build tag remove_all_sd,
# which halves what is compiled): the tests configure no service discovery.
# Keep the version in step with internal/testdeps.
prom3_version=v0.316.0
prom3_bin="${XDG_CACHE_HOME:-$HOME/.cache}/slo-budget-tracker/prometheus-${prom3_version}/bin"
prom3_missing=()
for cmd in promtool prometheus; do
  [ -x "$prom3_bin/$cmd" ] || prom3_missing+=("$cmd")
done
if [ ${#prom3_missing[@]} -gt 0 ]; then
  echo "deps: building Prometheus 3 (${prom3_missing[*]} ${prom3_version}) into $prom3_bin" >&2
  pkgs=()
  for cmd in "${prom3_missing[@]}"; do
    pkgs+=("github.com/prometheus/prometheus/cmd/$cmd@${prom3_version}")
  done
  mkdir -p "$prom3_bin"
  if ! GOBIN="$prom3_bin" GOFLAGS=-mod=mod go install -tags remove_all_sd "${pkgs[@]}"; then
    echo "deps: could not build Prometheus 3" >&2
    [ "${CI:-}" = "true" ] && exit 1
    echo "deps: tests that need it will be skipped" >&2
  fi
fi

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need+=(prometheus)
{ command -v victoria-metrics >/dev/null 2>&1 && command -v vmalert >/dev/null 2>&1; } || need+=(victoria-metrics)
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
