#!/usr/bin/env bash
# Runs the end-to-end comparison against real Prometheus 2 and 3 servers and
# VictoriaMetrics with vmalert (a few minutes per engine on 2 cores), for an
# SLO with one budget, a grouped one, a monthly one and time-slice ones, and
# rewrites the tables of the first and the time-slice ones in docs/accuracy.md
# (and of the long-window samples). scripts/deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
SLO_E2E_UPDATE_DOC=1 go test -count=1 -timeout 45m -run 'TestEnginesAgree(WithTracker|PerGroup|OverAMonthBoundary|OnTimeSlices)$|TestLongWindowSamples' -v ./e2e
