package promrules

import (
	"fmt"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

// blocksPerWindow is how finely MethodExact resolves the old end of the
// window: a block is at most 1/720 of the window, the width of the
// tracker's own buckets of the SLO window.
const blocksPerWindow = 720

// gridded reports whether the long window sums the grid (MethodExact,
// MethodGrid) rather than averaging ratios.
func (p *plan) gridded() bool { return p.method != MethodRatioAverage }

// blockOf is MethodExact's block for a window of gridSteps cells of grid:
// the longest whole number of cells that divides the window's cells and is
// at most 1/720 of the window; the grid itself when no longer one fits
// (then MethodExact writes the rules of MethodGrid).
func blockOf(window, grid time.Duration, gridSteps int) time.Duration {
	for k := int(window / blocksPerWindow / grid); k > 1; k-- {
		if gridSteps%k == 0 {
			return time.Duration(k) * grid
		}
	}
	return grid
}

// partialMetric names the partial sum of the block under way, beside the
// block sums (errorsMetric and totalMetric of the block, recorded once per
// block).
func partialMetric(metric string) string { return metric + "_partial" }

// blockRules are the rules MethodExact adds to the grid's group for one
// grid series (errors or events), cell: the block sums and the partial
// block, named after block.
//
// Blocks are aligned to absolute time (a calendar SLO's to its zone's
// midnight, see blockPhase), whatever offset the group runs at: the phase
// of a grid instant is time() modulo the block b, and one grid
// instant of each [k*b, (k+1)*b) has a phase under one cell. That instant
// records the sum of the last b of cells, its own included (a range of b
// less half a cell holds them exactly once, on Prometheus 2 and 3); the
// later instants of [k*b, (k+1)*b) record the partial sum of the cells
// since it, and it records a partial sum of 0.
func (p *plan) blockRules(b *builder, cell, block string) []rule {
	g, bl := p.grid, p.block
	secs := func(d time.Duration) string { return spec.FormatFloat(d.Seconds()) }
	phase := p.blockPhase()
	sumOver := func(d time.Duration) string {
		return fmt.Sprintf("sum_over_time(%s[%s])", p.series(cell), promRange(d-g/2))
	}
	whole := fmt.Sprintf("%s and on() (%s < %s)", sumOver(bl), phase, secs(g))
	if !p.obj.Calendar.IsZero() {
		// A calendar SLO's block is labelled with the period holding
		// its middle (see calendarRules).
		whole = fmt.Sprintf("(%s) * on() group_left(%s) count_values(%q, %s)", whole, periodLabel, periodLabel, p.periodIDBack(bl/2))
	}
	var parts []string
	for k := time.Duration(1); k*g < bl; k++ {
		parts = append(parts, fmt.Sprintf("%s and on() (%s >= %s < %s)", sumOver(k*g), phase, secs(k*g), secs((k+1)*g)))
	}
	partial := p.orZero(p.agg("sum", strings.Join(parts, " or ")), p.agg("sum", p.series(cell)))
	return []rule{b.record(block, whole), b.record(partialMetric(block), partial)}
}

// blockWindow sums the window from the block series: the complete blocks
// of the range and the block under way. The partial sum is set apart by a
// label so that the union keeps both before they are summed.
func (p *plan) blockWindow(block, rng string) string {
	return p.agg("sum", fmt.Sprintf(`sum_over_time(%s[%s]) or label_replace(%s, "slo_block", "partial", "", "")`,
		p.series(block), rng, p.series(partialMetric(block))))
}
