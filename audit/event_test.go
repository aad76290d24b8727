package audit

import (
	"math"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

func TestEventMarshalsToTheWireContract(t *testing.T) {
	tier := slo.AlertTier{Severity: slo.SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}
	at := time.Date(2026, 11, 1, 1, 2, 3, 456789000, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name string
		e    Event
		want string
	}{
		{
			name: "a tier's event carries the tier",
			e: Event{Kind: BurnStarted, Source: "s", Timestamp: at, Payload: Payload{
				SLOName: "checkout", Window: time.Hour, BurnRate: 16.5, Threshold: 14.4, SuccessRatio: 0.9835,
				SampleCount: 60000, ErrorBudgetRemaining: 0.31, Tier: &tier,
			}},
			want: `{"kind":"slo_burn_started","source":"s","payload":{"slo_name":"checkout","window_seconds":3600,"burn_rate":16.5,"threshold":14.4,"success_ratio":0.9835,"sample_count":60000,"error_budget_remaining":0.31,"severity":"page","long_window":"1h","short_window":"5m"},"timestamp":"2026-11-01T00:02:03.456Z"}`,
		},
		{
			name: "a window's event has no tier fields",
			e: Event{Kind: Recovered, Source: "s", Timestamp: at, Payload: Payload{
				SLOName: "api", Window: 90 * time.Second, Threshold: 14.4, SuccessRatio: 1, ErrorBudgetRemaining: -2.5,
			}},
			want: `{"kind":"slo_recovered","source":"s","payload":{"slo_name":"api","window_seconds":90,"burn_rate":0,"threshold":14.4,"success_ratio":1,"sample_count":0,"error_budget_remaining":-2.5},"timestamp":"2026-11-01T00:02:03.456Z"}`,
		},
		{
			name: "non-finite numbers are written as 0",
			e: Event{Kind: BudgetExhausted, Source: "s", Timestamp: at, Payload: Payload{
				SLOName: "x", Window: time.Hour, BurnRate: math.Inf(1), Threshold: 1, SuccessRatio: math.NaN(), ErrorBudgetRemaining: math.Inf(-1),
			}},
			want: `{"kind":"slo_budget_exhausted","source":"s","payload":{"slo_name":"x","window_seconds":3600,"burn_rate":0,"threshold":1,"success_ratio":0,"sample_count":0,"error_budget_remaining":0},"timestamp":"2026-11-01T00:02:03.456Z"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
			if _, err := validate(b); err != nil { // the receiver's strict check agrees
				t.Errorf("the test receiver rejects it: %v", err)
			}
		})
	}
}
