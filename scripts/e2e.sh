#!/usr/bin/env bash
# Runs the end-to-end comparison against a real Prometheus server (a few
# minutes on 2 cores) and rewrites its table in docs/accuracy.md.
# Needs prometheus and promtool: scripts/deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
SLO_E2E_UPDATE_DOC=1 go test -count=1 -run TestPrometheusAgreesWithTracker -v ./e2e
