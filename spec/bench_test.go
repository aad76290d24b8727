package spec

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// BenchmarkLoadBytes loads the native example spec (three SLOs, every
// query parsed with the PromQL parser). BenchmarkYAMLParse is the baseline:
// parsing the same bytes into a yaml.Node and nothing else.
func BenchmarkLoadBytes(b *testing.B) {
	data, err := os.ReadFile("../examples/specs/checkout.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := LoadBytes("checkout.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkYAMLParse(b *testing.B) {
	data, err := os.ReadFile("../examples/specs/checkout.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			b.Fatal(err)
		}
	}
}
