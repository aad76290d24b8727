package promsource

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The events of a window are read, for each SLO, from the cheapest series
// its rules record (see readEvents):
//
//	slo:sli_errors:increase_period, slo:sli_total:increase_period
//	        a calendar SLO's period so far, summed by its rules: one sample
//	slo:sli_errors:increase<B>, ..._partial (and total)
//	        the exact method's blocks over the window and the block under
//	        way: about a 720th of the grid's samples
//	slo:sli_errors:increase<G> (and total)
//	        the grid's cells over the window (method grid)

// sloKey names an SLO by its slo and service labels.
type sloKey [2]string

func keyOf(ls map[string]string) sloKey { return sloKey{ls["slo"], ls["service"]} }

// blockNames picks, from the names of the recorded increases, those of the
// exact method's blocks: a name beside which name_partial is recorded.
func blockNames(increases []sample) map[string][]string {
	return increaseNames(increases, func(n, _ string, names map[string]bool) bool { return names[n+partialSuffix] })
}

// blockSum adds up, per SLO, the blocks named names over the window before
// the instant and the partial sums of the blocks under way: the window's
// events as the exact method's rules count them. The partial sums are set
// apart by a label so that the union keeps both before they are added.
func blockSum(names []string, window time.Duration) string {
	partials := make([]string, len(names))
	for i, n := range names {
		partials[i] = n + partialSuffix
	}
	return fmt.Sprintf(`sum without (slo_block) (%s or label_replace(%s, "slo_block", "partial", "", ""))`,
		sumOverTime(names, window), nameSelector(partials))
}

// readEvents reads the events of every SLO's window: a calendar SLO's
// period sums (two queries for all of them); per distinct rolling window,
// the blocks and partial blocks of the SLOs whose rules record them, and
// the grid's cells only when an SLO of the window records cells without
// blocks (method grid): two queries each. increases are the names of the
// recorded increases, by slo and service.
func (s *Source) readEvents(ctx context.Context, st *state, idx *index, increases []sample) error {
	blocks := blockNames(increases)
	withBlocks, withCells := map[sloKey]bool{}, map[sloKey]bool{}
	for _, smp := range increases {
		switch {
		case strings.HasSuffix(smp.name, partialSuffix):
			withBlocks[keyOf(smp.labels)] = true
		case slices.Contains(st.cells[prefixErrors], smp.name), slices.Contains(st.cells[prefixTotal], smp.name):
			withCells[keyOf(smp.labels)] = true
		}
	}
	var mu sync.Mutex
	var jobs []func(context.Context) error
	// query reads expr, the events of window (of the calendar SLOs, for
	// fromPeriod) counted by prefix, into the members from.
	query := func(from eventSource, prefix string, window time.Duration, expr string) {
		jobs = append(jobs, func(ctx context.Context) error {
			res, err := s.instant(ctx, expr, st.at)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, smp := range res {
				m := idx.member(smp.labels, false)
				if m == nil || m.obj.calendar != (from == fromPeriod) || (from != fromPeriod && m.obj.obj.Window != window) {
					continue
				}
				c := &m.events[from]
				if prefix == prefixErrors {
					c.errors = ptr(smp.value)
				} else {
					c.total = ptr(smp.value)
				}
			}
			return nil
		})
	}
	var windows []time.Duration
	// The windows with an SLO of blocks, and with one of cells and no
	// blocks.
	blocked, grid := map[time.Duration]bool{}, map[time.Duration]bool{}
	calendar := false
	for _, o := range st.objs {
		if len(o.members) == 0 {
			continue
		}
		if o.calendar {
			calendar = true
			continue
		}
		if !slices.Contains(windows, o.obj.Window) {
			windows = append(windows, o.obj.Window)
		}
		k := keyOf(o.base)
		blocked[o.obj.Window] = blocked[o.obj.Window] || withBlocks[k]
		grid[o.obj.Window] = grid[o.obj.Window] || (withCells[k] && !withBlocks[k])
	}
	if calendar {
		query(fromPeriod, prefixErrors, 0, metricErrorsPeriod)
		query(fromPeriod, prefixTotal, 0, metricTotalPeriod)
	}
	for _, w := range windows {
		for _, prefix := range []string{prefixErrors, prefixTotal} {
			if blocked[w] && blocks[prefix] != nil {
				query(fromBlocks, prefix, w, blockSum(blocks[prefix], w))
			}
			if grid[w] && st.cells[prefix] != nil {
				query(fromGrid, prefix, w, sumOverTime(st.cells[prefix], w))
			}
		}
	}
	if err := parallel(ctx, jobs...); err != nil {
		return err
	}
	// Each member takes the events of the best source that has them.
	for _, o := range st.objs {
		for _, m := range o.members {
			for from := eventSources - 1; from >= fromGrid; from-- {
				if c := m.events[from]; c.total != nil {
					m.errors, m.total = c.errors, c.total
					break
				}
			}
		}
	}
	return nil
}
