package audit

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseTimeout: AUDIT_STREAM_TIMEOUT never panics and never yields a
// duration outside (0, 24h].
func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"2.5s", "2.5", "500ms", "0", "-1", "1e9", "NaN", "Inf", "1h1h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseTimeout(s)
		if err != nil {
			if d != 0 || !strings.Contains(err.Error(), "outside") && !strings.Contains(err.Error(), "neither") {
				t.Fatalf("parseTimeout(%q) = %v, %v", s, d, err)
			}
			return
		}
		if d <= 0 || d > 24*time.Hour {
			t.Fatalf("parseTimeout(%q) = %v, outside (0, 24h]", s, d)
		}
	})
}

// FuzzParseRetryAfter: a server's Retry-After never panics and never asks
// for a negative wait or one beyond the cap.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "120", "Sun, 01 Nov 2026 12:00:10 GMT", "-5", "1.5", "99999999999999999999", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseRetryAfter(s, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v", s, d)
		}
	})
}

// FuzzNew: any URL and token give a sink or a clear error, never a panic,
// and the error never shows the token.
func FuzzNew(f *testing.F) {
	f.Add("http://127.0.0.1:9", "tok")
	f.Add("https://user:pw@a.example/base/", "tok\n")
	f.Add("::", "")
	f.Add("http://[::1", "x")
	f.Fuzz(func(t *testing.T, rawURL, token string) {
		s, err := New(Config{URL: rawURL, Token: token})
		if err != nil {
			if s != nil || !strings.HasPrefix(err.Error(), "audit: invalid config: ") {
				t.Fatalf("New(%q): %v, %v", rawURL, s, err)
			}
			if len(token) >= 4 && strings.Contains(err.Error(), token) && !strings.Contains(rawURL, token) {
				t.Fatalf("the error shows the token: %v", err)
			}
			return
		}
		if !strings.HasSuffix(s.events, "/events") {
			t.Fatalf("events URL %q", s.events)
		}
		s.stop() // no delivery attempted
		<-s.done
	})
}
