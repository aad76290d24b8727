//go:build race

package promrules

// raceEnabled reports whether the tests run under the race detector, which
// multiplies the memory of the largest comparisons past the machine's.
const raceEnabled = true
