package demo

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// service is the sample shop the demo measures: three endpoints with
// realistic latencies, and faults that can be injected at run time.
type service struct {
	mu        sync.Mutex
	errorRate float64       // share of requests answered 503
	latency   time.Duration // added to every request
}

// The patterns of the shop's endpoints.
const (
	productsRoute = "GET /api/products"
	searchRoute   = "GET /api/search"
	checkoutRoute = "POST /api/checkout"
)

// apiRoutes lists the patterns of the shop's endpoints: the members of an
// objective by route.
var apiRoutes = []string{productsRoute, searchRoute, checkoutRoute}

// routes registers the shop's endpoints and the fault-injection endpoint.
func (s *service) routes(mux *http.ServeMux) {
	mux.HandleFunc(productsRoute, s.endpoint(10*time.Millisecond, 60*time.Millisecond, `{"products":["tea","coffee","cocoa"]}`))
	mux.HandleFunc(searchRoute, s.endpoint(30*time.Millisecond, 200*time.Millisecond, `{"results":[]}`))
	mux.HandleFunc(checkoutRoute, s.endpoint(80*time.Millisecond, 250*time.Millisecond, `{"order":"accepted"}`))
	mux.HandleFunc(faultRoute, s.fault)
}

// endpoint answers after a latency drawn between lo and hi (skewed toward
// lo, with a long tail), or fails as the injected faults say.
func (s *service) endpoint(lo, hi time.Duration, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		errorRate, extra := s.errorRate, s.latency
		s.mu.Unlock()
		u := rand.Float64()
		delay := lo + time.Duration(u*u*u*float64(hi-lo)) + extra
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if rand.Float64() < errorRate {
			http.Error(w, `{"error":"injected fault"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, body)
	}
}

// fault reads or sets the injected faults: POST
// /demo/fault?error_rate=0.3&latency=400ms sets them (either may be left
// out), error_rate=0&latency=0 heals; GET shows them.
func (s *service) fault(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		q := r.URL.Query()
		errorRate, latency := -1.0, time.Duration(-1)
		if v := q.Get("error_rate"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				http.Error(w, fmt.Sprintf("error_rate=%q: want a number from 0 to 1", v), http.StatusBadRequest)
				return
			}
			errorRate = f
		}
		if v := q.Get("latency"); v != "" {
			d, err := time.ParseDuration(v)
			if v == "0" {
				d, err = 0, nil
			}
			if err != nil || d < 0 || d > time.Minute {
				http.Error(w, fmt.Sprintf("latency=%q: want a duration from 0 to 1m, like 400ms", v), http.StatusBadRequest)
				return
			}
			latency = d
		}
		s.mu.Lock()
		if errorRate >= 0 {
			s.errorRate = errorRate
		}
		if latency >= 0 {
			s.latency = latency
		}
		s.mu.Unlock()
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	errorRate, latency := s.errorRate, s.latency
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"error_rate\":%g,\"latency\":%q}\n", errorRate, latency.String())
}

// faultRoute is the pattern of the fault injection route, which no
// objective by route counts.
const faultRoute = "/demo/fault"

// load sends requests to the shop at rps until stop is closed, at most
// maxInFlight at a time (a slow shop does not pile up goroutines).
func load(base string, rps float64, stop <-chan struct{}) {
	const maxInFlight = 64
	client := &http.Client{Timeout: 10 * time.Second}
	slots := make(chan struct{}, maxInFlight)
	tick := time.NewTicker(max(time.Duration(float64(time.Second)/rps), time.Microsecond))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			continue // the shop is saturated: skip this beat
		}
		method, path := http.MethodGet, "/api/products"
		switch u := rand.Float64(); {
		case u < 0.3:
			path = "/api/search"
		case u < 0.4:
			method, path = http.MethodPost, "/api/checkout"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			req, err := http.NewRequest(method, base+path, nil)
			if err != nil {
				return
			}
			res, err := client.Do(req)
			if err != nil {
				return
			}
			res.Body.Close()
		}()
	}
}
