package slo

import "testing"

// A remote source (Prometheus) reads a spent budget from ratios, without
// counting events: the budget is exhausted all the same. A snapshot with
// no data yet is never exhausted, and neither is the zero Snapshot.
func TestIsBudgetExhaustedWithoutEventCounts(t *testing.T) {
	tests := []struct {
		name string
		s    Snapshot
		want bool
	}{
		{"spent, read from ratios", Snapshot{ErrorBudgetRemaining: -0.5, BurnRate: 1.5}, true},
		{"spent exactly, read from ratios", Snapshot{ErrorBudgetRemaining: 0, BurnRate: 1}, true},
		{"spent, counted", Snapshot{Total: 100, Failures: 2, ErrorBudgetRemaining: -1, BurnRate: 2}, true},
		{"left, read from ratios", Snapshot{ErrorBudgetRemaining: 0.5, BurnRate: 0.5}, false},
		{"zero snapshot", Snapshot{}, false},
		{"no data yet", Snapshot{NoData: true, ErrorBudgetRemaining: 1}, false},
		{"no data yet, spent values", Snapshot{NoData: true, ErrorBudgetRemaining: -1, BurnRate: 2}, false},
	}
	for _, tt := range tests {
		if got := tt.s.IsBudgetExhausted(); got != tt.want {
			t.Errorf("%s: IsBudgetExhausted() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
