//go:build tools

// Package pin keeps the modules that packages under construction will import
// in go.mod, so that parallel work does not edit go.mod at once. Removed once
// every module is imported by real code.
package pin

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/felixge/httpsnoop"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/redis/go-redis/v9"
	_ "go.yaml.in/yaml/v3"
	_ "google.golang.org/grpc"
	_ "google.golang.org/grpc/health"
	_ "google.golang.org/grpc/health/grpc_health_v1"
)
