// Package demo runs `slo demo`: a sample shop instrumented with slohttp, a
// load generator, fault injection, the Prometheus exposition, the JSON
// report and the dashboard, with durable budgets.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/audit"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/sloprom"
	"github.com/slo-budget-tracker/slo/store/filestore"
	"github.com/slo-budget-tracker/slo/store/redisstore"
)

// Config is what `slo demo` is told on its command line.
type Config struct {
	Addr     string  // where the shop listens, e.g. 127.0.0.1:8080
	RPS      float64 // requests a second from the load generator; 0 for none
	Speed    float64 // how many times faster than real time the SLO clock runs
	DataDir  string  // the file store's directory; "" for no persistence
	RedisURL string  // save budgets to Redis instead of files; /slo and the dashboard sum the instances
	Instance string  // this replica's name in Redis; "" for the host name
	// Objectives replaces the built-in objectives (from --spec).
	Objectives []Objective
	Log        *slog.Logger      // where store and audit failures go
	Out        io.Writer         // where the URLs are printed
	Ready      func(addr string) // called once the shop listens (tests use it)
}

// An Objective is an objective and what feeds it: every request, every
// request with one budget per route (ByRoute), or (with Latency) whether
// requests finish in time.
type Objective struct {
	slo.Objective
	// ByRoute makes the objective a family labelled "route": one member,
	// with its own budget, per route pattern of the shop's mux (e.g.
	// route="POST /api/checkout").
	ByRoute bool
	Latency time.Duration // > 0: a latency objective with this threshold
}

// Names of the built-in objectives.
const (
	Availability = "api-availability"
	Latency      = "api-latency"
	Routes       = "route-availability"
)

// LatencyThreshold is the latency objective's threshold.
const LatencyThreshold = 300 * time.Millisecond

// Objectives returns the demo's built-in objectives.
func Objectives() []Objective {
	return []Objective{
		{Objective: slo.Objective{Name: Availability, Target: 0.999, Description: "99.9% of API requests succeed (no 5xx)"}},
		{Objective: slo.Objective{Name: Latency, Target: 0.99, Description: "99% of API requests finish within 300ms"}, Latency: LatencyThreshold},
		{Objective: slo.Objective{Name: Routes, Target: 0.995, Description: "99.5% of each route's requests succeed"}, ByRoute: true},
	}
}

// DefaultDataDir is where the demo keeps its budgets unless told otherwise:
// under the user's cache directory.
func DefaultDataDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "slo-budget-tracker", "demo")
}

// Run serves the demo until ctx ends, then saves the budgets and returns.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.RPS < 0 {
		return fmt.Errorf("demo: --rps %v is negative", cfg.RPS)
	}

	opts := []slo.Option{slo.WithLogger(cfg.Log)}
	// The SLO clock: real time, unless it runs faster or must continue
	// from budgets saved in its future. demoNow is set before any tracker
	// or store reads it.
	demoNow := time.Now
	clock := func() time.Time { return demoNow() }
	var store slo.Store
	var fleet *redisstore.Store
	switch {
	case cfg.RedisURL != "":
		client, err := redisstore.NewClient(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("demo: --redis: %w", err)
		}
		defer client.Close()
		instance := cfg.Instance
		if instance == "" {
			instance, _ = os.Hostname()
		}
		rs, err := redisstore.New(client, instance, redisstore.WithLogger(cfg.Log), redisstore.WithClock(clock))
		if err != nil {
			return fmt.Errorf("demo: --redis: %w", err)
		}
		store, fleet = rs, rs
		opts = append(opts, rs.Options()...)
	case cfg.DataDir != "":
		fs, err := filestore.Open(cfg.DataDir, filestore.WithLogger(cfg.Log))
		if err != nil {
			return fmt.Errorf("demo: --data-dir: %w", err)
		}
		store = fs
		opts = append(opts, fs.Options()...)
	}
	objectives := cfg.Objectives
	if objectives == nil {
		objectives = Objectives()
	}
	// With -speed the clock runs faster; it starts from where the saved
	// budgets left off when that is later than now (a previous fast run),
	// so a restart does not put their history in the future.
	if anchor := savedUntil(ctx, store, objectives); cfg.Speed != 1 || anchor.After(time.Now()) {
		demoNow = fastClock(anchor, cfg.Speed)
		opts = append(opts, slo.WithClock(clock))
	}

	reg := slo.NewRegistry(opts...)
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := reg.Close(closeCtx); err != nil {
			cfg.Log.Error("demo: saving the budgets", "err", err)
		}
	}()
	shop := &service{}
	mux := http.NewServeMux()
	shop.routes(mux)
	var handler http.Handler = mux
	// One middleware per objective: each reads the route's pattern after
	// the mux has routed the request.
	for _, o := range objectives {
		if o.ByRoute {
			if o.Latency > 0 {
				return fmt.Errorf("demo: objective %q: a latency objective by route is not supported", o.Name)
			}
			f, err := reg.DefineFamily(o.Objective, []string{"route"})
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			// Members are made on first use; making the shop's now shows
			// every route from the start, with its saved budget restored
			// before traffic comes.
			for _, route := range apiRoutes {
				if _, err := f.MemberContext(ctx, route); err != nil {
					return fmt.Errorf("demo: %w", err)
				}
			}
			handler = slohttp.Middleware(nil, slohttp.WithRoutes(f), slohttp.SkipRoutes(faultRoute))(handler)
			continue
		}
		t, err := reg.Define(o.Objective)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		var mw func(http.Handler) http.Handler
		switch {
		case o.Latency > 0:
			mw = slohttp.Middleware(nil, slohttp.WithLatency(t, o.Latency))
		default:
			mw = slohttp.Middleware(t)
		}
		handler = mw(handler)
	}

	sink, err := audit.NewFromEnv(audit.Config{Logger: cfg.Log})
	if err != nil {
		return fmt.Errorf("demo: audit stream: %w", err)
	}

	// With Redis, the report and the dashboard show the fleet: every
	// replica's saved budget summed, the same on every replica; /slo/local
	// keeps this replica's own. The metrics and the audit stream stay this
	// process's: Prometheus sums the replicas' counters, and one watcher
	// per replica over the fleet would send each fleet event once per
	// replica.
	var view slo.Source = reg
	top := http.NewServeMux()
	if fleet != nil {
		view = fleet.Fleet(reg)
		top.Handle("/slo/local", slohttp.SnapshotHandler(reg))
	}
	top.Handle("/api/", handler)
	top.Handle("/demo/fault", handler)
	top.Handle("/metrics", sloprom.Handler(reg))
	top.Handle("/slo", slohttp.SnapshotHandler(view))
	top.Handle("/slo/ui/", http.StripPrefix("/slo/ui", slohttp.DashboardHandler(view,
		slohttp.WithTitle("slo demo: a sample shop's error budgets"),
		slohttp.WithActions(
			slohttp.DashboardAction{Label: "Inject 30% errors", Method: "POST", URL: "../../demo/fault?error_rate=0.3"},
			slohttp.DashboardAction{Label: "Add 400ms latency", Method: "POST", URL: "../../demo/fault?latency=400ms"},
			slohttp.DashboardAction{Label: "Heal", Method: "POST", URL: "../../demo/fault?error_rate=0&latency=0"},
		))))
	top.Handle("/{$}", http.RedirectHandler("/slo/ui/", http.StatusFound))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv := &http.Server{Handler: top, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()

	fmt.Fprintf(cfg.Out, "slo demo: a sample shop on %s\n", base)
	fmt.Fprintf(cfg.Out, "  dashboard  %s/slo/ui/\n", base)
	fmt.Fprintf(cfg.Out, "  JSON       %s/slo\n", base)
	fmt.Fprintf(cfg.Out, "  metrics    %s/metrics\n", base)
	fmt.Fprintf(cfg.Out, "  faults     curl -X POST '%s/demo/fault?error_rate=0.3&latency=400ms'   (error_rate=0&latency=0 heals)\n", base)
	switch {
	case fleet != nil:
		fmt.Fprintf(cfg.Out, "  budgets    shared through Redis as instance %q: the dashboard and /slo show the fleet's (this replica's: %s/slo/local)\n", fleet.Instance(), base)
	case cfg.DataDir != "":
		fmt.Fprintf(cfg.Out, "  budgets    saved under %s\n", cfg.DataDir)
	default:
		fmt.Fprintf(cfg.Out, "  budgets    in memory only\n")
	}
	if cfg.Speed != 1 {
		fmt.Fprintf(cfg.Out, "  clock      %gx real time: a 30-day window passes in %v\n", cfg.Speed, time.Duration(float64(30*24*time.Hour)/cfg.Speed).Round(time.Second))
	}
	if sink != nil {
		fmt.Fprintf(cfg.Out, "  audit      burn and budget events go to AUDIT_STREAM_URL\n")
	}
	fmt.Fprintf(cfg.Out, "Ctrl-C stops it and saves the budgets.\n")
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if cfg.RPS > 0 {
			load(base, cfg.RPS, stop)
		}
	}()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		audit.NewWatcher(reg, sink).Run(watchCtx)
	}()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	close(stop)
	<-done
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		cfg.Log.Error("demo: shutting down", "err", serr)
	}
	stopWatch()
	<-watched
	if sink != nil {
		sinkCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if cerr := sink.Close(sinkCtx); cerr != nil {
			cfg.Log.Error("demo: flushing the audit stream", "err", cerr)
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// savedUntil returns the latest time a saved state of the objectives was
// taken at, or now when that is earlier or nothing is saved.
func savedUntil(ctx context.Context, store slo.Store, objectives []Objective) time.Time {
	anchor := time.Now()
	if store == nil {
		return anchor
	}
	for _, o := range objectives {
		loadCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := store.Load(loadCtx, o.Name)
		cancel()
		if err == nil && st != nil && st.Time.After(anchor) {
			anchor = st.Time
		}
	}
	return anchor
}

// fastClock returns a clock that starts at anchor and runs speed times
// faster than real time.
func fastClock(anchor time.Time, speed float64) func() time.Time {
	start := time.Now()
	return func() time.Time {
		return anchor.Add(time.Duration(float64(time.Since(start)) * speed))
	}
}
