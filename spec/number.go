package spec

import "strconv"

// RoundFloat rounds f to 12 significant digits, hiding float noise: 1 -
// 0.999 gives 0.001, not 0.0010000000000000009. It is the one rounding of
// the numbers the rules and the CLI print.
func RoundFloat(f float64) float64 {
	g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	if err != nil {
		return f
	}
	return g
}

// FormatFloat prints RoundFloat(f) as a plain decimal: 0.001, 2592000,
// 14.4.
func FormatFloat(f float64) string {
	return strconv.FormatFloat(RoundFloat(f), 'f', -1, 64)
}
