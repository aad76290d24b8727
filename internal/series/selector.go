package series

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Selector spells a series as PromQL writes it, name{k="v",...}: the
// labels sorted by name, their values quoted as PromQL (and Prometheus
// itself) quote them.
func Selector(name string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(labels)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}
