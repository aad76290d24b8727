package slootel

import (
	"context"
	"errors"
	"fmt"
	"math"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
)

// ScopeName is the instrumentation scope of the meter Register asks the
// MeterProvider for.
const ScopeName = "github.com/slo-budget-tracker/slo/slootel"

// instruments holds one instrument per metric, by series.ID.
type instruments [len(series.Metrics)]metric.Float64Observable

// Register creates the instruments listed in the package documentation on
// the meter [ScopeName] of mp and registers one callback that, at every
// collection, reads src afresh and observes its series. src is usually the
// process's *slo.Registry: every tracker's series, per-process counters
// included; objectives defined later appear at the next collection. Any
// other [slo.Source] (a Redis fleet, a remote report) gives its snapshots'
// series without the per-process counters, and slo_source_up: 0, with no
// other series, when the source cannot be read within the collection's
// context. The rule is sloprom's: both packages export one list of series.
//
// Unregister the returned registration to stop observing src; the
// instruments stay, without data points. Register fails when mp or src is
// nil or when mp refuses an instrument or the callback.
func Register(mp metric.MeterProvider, src slo.Source) (metric.Registration, error) {
	if mp == nil {
		return nil, errors.New("slootel: the MeterProvider is nil")
	}
	if r, ok := src.(*slo.Registry); src == nil || ok && r == nil {
		return nil, errors.New("slootel: the slo.Source is nil")
	}
	meter := mp.Meter(ScopeName)
	insts, err := newInstruments(meter)
	if err != nil {
		return nil, err
	}
	reg, err := meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		// A failing source is observed as slo_source_up 0, not returned:
		// the callback's error would only be logged.
		_ = series.EachOf(ctx, src, insts.observer(o))
		return nil
	}, insts.observables()...)
	if err != nil {
		return nil, fmt.Errorf("slootel: registering the callback: %w", err)
	}
	return reg, nil
}

// newInstruments creates the instrument of every metric on meter: an
// observable counter for a counter, an observable gauge for the rest.
func newInstruments(meter metric.Meter) (*instruments, error) {
	var insts instruments
	for i, m := range series.Metrics {
		var err error
		switch m.Kind {
		case series.Counter:
			insts[i], err = meter.Float64ObservableCounter(m.Name,
				metric.WithDescription(m.Help), metric.WithUnit(m.Unit))
		default:
			insts[i], err = meter.Float64ObservableGauge(m.Name,
				metric.WithDescription(m.Help), metric.WithUnit(m.Unit))
		}
		if err != nil {
			return nil, fmt.Errorf("slootel: creating the instrument %s: %w", m.Name, err)
		}
	}
	return &insts, nil
}

// observables lists the instruments for Meter.RegisterCallback.
func (insts *instruments) observables() []metric.Observable {
	obs := make([]metric.Observable, len(insts))
	for i, inst := range insts {
		obs[i] = inst
	}
	return obs
}

// observer returns the function that observes one series on o, for
// series.Each and series.EachFamily. A value that is not finite is left out
// and reported to the OpenTelemetry error handler (otel.Handle): a callback
// that returned an error would make a periodic reader drop the whole
// collection, every other objective with it.
func (insts *instruments) observer(o metric.Observer) func(id series.ID, v float64, names, values []string) {
	var attrs []attribute.KeyValue
	return func(id series.ID, v float64, names, values []string) {
		m := &series.Metrics[id]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			otel.Handle(fmt.Errorf("slootel: value %v of %s%q is not finite; the series is left out", v, m.Name, values))
			return
		}
		attrs = attrs[:0]
		for i, l := range values {
			attrs = append(attrs, attribute.String(names[i], l))
		}
		o.ObserveFloat64(insts[id], v, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	}
}
