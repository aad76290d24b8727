package promrules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

// yamlEncoded is what Generate wrote before it streamed: the rules of every
// plan, encoded with yaml.v3.
func yamlEncoded(t *testing.T, slos []spec.SLO, opts Options) []byte {
	t.Helper()
	opts, err := opts.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	plans, _, err := planAll(slos, opts)
	if err != nil {
		t.Fatal(err)
	}
	var groups []ruleGroup
	for _, p := range plans {
		gs, err := p.groups()
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, gs...)
	}
	out, err := render(groups, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameBytes fails with the first differing line of got and want.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s: line %d differs from yaml.v3's\n got: %q\nwant: %q", what, i+1, g, w)
			return
		}
	}
	t.Errorf("%s: differs from yaml.v3's (%d bytes, want %d)", what, len(got), len(want))
}

// TestGenerateWritesWhatYAMLEncoderWrites compares Generate's output with
// yaml.v3's encoding of the same rules: the fixtures in every method and
// format, and the Sloth fleet specs of 1,000 and (without -short, and
// without the race detector, under which the yaml.v3 reference encoding of
// 10,000 SLOs outgrows 24 GiB) 10,000 SLOs: `go test ./promrules` runs it.
func TestGenerateWritesWhatYAMLEncoderWrites(t *testing.T) {
	all := []spec.SLO{availability, latency, slothRatio, selectors, complement}
	cases := []struct {
		name string
		slos []spec.SLO
		opts Options
	}{
		{"fixtures", all, Options{}},
		{"fixtures ratio-average", all, Options{Method: MethodRatioAverage, For: 90 * time.Second}},
		{"fixtures operator", all, Options{Format: FormatPrometheusOperator, Namespace: "monitoring", ResourceLabels: map[string]string{"release": "kube-prometheus", "a10": "1", "a2": "yes"}}},
		{"operator odd resource labels", all[:1], Options{Format: FormatPrometheusOperator, ResourceLabels: map[string]string{strings.Repeat("k", 129): "long key", "multi\nline": "x", "é": "accent"}}},
		{"no SLOs", nil, Options{}},
		{"no SLOs operator", nil, Options{Format: FormatPrometheusOperator}},
		{"sloth fleet 1000", loadFleet(t, 1000), Options{}},
	}
	if !testing.Short() && !raceEnabled {
		cases = append(cases, struct {
			name string
			slos []spec.SLO
			opts Options
		}{"sloth fleet 10000", loadFleet(t, 10000), Options{}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Generate(c.slos, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			sameBytes(t, c.name, res.Rules, yamlEncoded(t, c.slos, c.opts))
		})
	}
}

// awkward are strings that YAML writes in every style: plain, single- and
// double-quoted, literal blocks with each chomping, escaped.
var awkward = []string{
	"plain", "1", "0.5", ".5", "-1", "+1", "1e3", "0x1F", "0o17", "1_000", "2%", "10%", "5m", "1:30", "2001-12-14",
	"true", "True", "TRUE", "tRUE", "yes", "Yes", "y", "N", "no", "on", "Off", "null", "Null", "~", "<<", "<x", ".inf", "-.Inf", ".nan",
	"", " ", " lead", "trail ", "a: b", "a:b", "a:", "a #b", "a#b", "#x", "-x", "- x", "-", "--", "---", "...", "..x",
	"?x", "? x", "?", ":x", ": x", ":", ",x", "x,y", "[x]", "{x}", "{{ $value }}", "x {{ y }}", "&a", "*a", "!t", "|x", ">x",
	"'q'", "it's", `"d"`, `a "d" b`, `back\slash`, "%x", "@x", "`x`", "(x)", "_x", "$x", "/x", "=x", "x\ty", "\tx",
	"multi\nline", "multi\nline\n", "keep\n\n", "\nlead", " indented\nx", "x\n indented", "x \ny", "x\n\ny", "\n", "\n\n",
	"café", "日本", "a\u2028b", "a\u0085b", "\x7f", "\x01", "bad\xffutf8", "ends with tab\t", strings.Repeat("long ", 40),
}

// TestRuleWriterWritesWhatYAMLEncoderWrites writes rules made of awkward
// strings, at random, with the ruleWriter and with yaml.v3, and compares
// the bytes: every scalar style in every position, keys in yaml.v3's order,
// documents ending in a block scalar that keeps its line breaks.
func TestRuleWriterWritesWhatYAMLEncoderWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string { return awkward[r.IntN(len(awkward))] }
	keyRunes := []rune("aAbZz_019_a1 :#-")
	key := func() string {
		var b strings.Builder
		for range 1 + r.IntN(5) {
			b.WriteRune(keyRunes[r.IntN(len(keyRunes))])
		}
		return b.String()
	}
	strMap := func() map[string]string {
		m := map[string]string{}
		for range r.IntN(6) {
			m[key()] = str()
		}
		return m
	}
	compared := 0
	for i := range 3000 {
		opts := Options{Format: FormatRules}
		if i%3 == 0 {
			opts = Options{Format: FormatPrometheusOperator, Name: str(), ResourceLabels: strMap()}
			if i%2 == 0 {
				opts.Namespace = str()
			}
		}
		var groups []ruleGroup
		for range r.IntN(3) {
			g := ruleGroup{Name: str()}
			if r.IntN(2) == 0 {
				g.Interval = str()
			}
			for range r.IntN(4) {
				ru := rule{Expr: str(), Labels: strMap(), Annotations: strMap()}
				switch r.IntN(3) {
				case 0:
					ru.Record = str()
				case 1:
					ru.Alert = str()
					ru.For = str()
				}
				g.Rules = append(g.Rules, ru)
			}
			groups = append(groups, g)
		}
		if i%7 == 0 {
			// A document ending in a block scalar that keeps its
			// line breaks.
			groups = append(groups, ruleGroup{Name: "g", Rules: []rule{{Expr: "x", Annotations: map[string]string{"z": "keep\n\n"}}}})
		}
		want, err := render(groups, opts)
		if err != nil {
			t.Fatal(err)
		}
		w := newRuleWriter(opts, len(groups) == 0, 0)
		for _, g := range groups {
			w.group(g)
		}
		if w.odd {
			continue // Generate encodes these with yaml.v3
		}
		compared++
		sameBytes(t, fmt.Sprintf("document %d", i), w.finish(), want)
		if t.Failed() {
			t.Logf("groups: %#v\nopts: %#v", groups, opts)
			return
		}
	}
	if compared < 1000 {
		t.Errorf("only %d of 3000 documents compared; the others fell back to yaml.v3", compared)
	}
}
