package filestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/internal/codec"
	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// BenchmarkFlush100 measures one flush of 100 objectives' busy states to
// a file store: as the trackers do it (100 concurrent Saves, each a
// temporary file, fsync, rename and directory fsync) and one after another;
// and, as baselines in the same run, writing the same bytes to 100 files
// with fsync but no rename nor directory sync, and without any sync.
func BenchmarkFlush100(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	first := storetest.BusyState(b, "objective-000", time.Now())
	states := make([]*slo.State, 100)
	blobs := make([][]byte, 100)
	for i := range states {
		st := *first
		st.Objective = fmt.Sprintf("objective-%03d", i)
		states[i] = &st
		if blobs[i], err = codec.Marshal(&st); err != nil {
			b.Fatal(err)
		}
	}
	report := func(b *testing.B) { b.ReportMetric(float64(len(blobs[0])), "bytes/objective") }
	b.Run("store/concurrent-saves", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for _, st := range states {
				wg.Go(func() {
					if err := s.Save(ctx, st); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
		report(b)
	})
	b.Run("store/sequential-saves", func(b *testing.B) {
		for b.Loop() {
			for _, st := range states {
				if err := s.Save(ctx, st); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
	b.Run("baseline/write-fsync", func(b *testing.B) {
		for b.Loop() {
			for i, data := range blobs {
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("baseline-%d", i)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		}
		report(b)
	})
	b.Run("baseline/write-no-sync", func(b *testing.B) {
		for b.Loop() {
			for i, data := range blobs {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("baseline-%d", i)), data, 0o600); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
}
