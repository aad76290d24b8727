package audit

import (
	"context"
	"testing"
	"time"
)

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// mustCheck runs one check of w, failing the test if the source fails.
func mustCheck(t testing.TB, w *Watcher) []Event {
	t.Helper()
	events, err := w.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return events
}
