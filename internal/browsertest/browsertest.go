// Package browsertest starts the real headless Chromium that browser tests
// drive with chromedp.
package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// New starts a headless Chromium with a fresh profile and returns a chromedp
// context for one tab, ended with the test. Without chromium the test is
// skipped, or fails under CI=true.
func New(t testing.TB) context.Context {
	t.Helper()
	exe := testdeps.Binary(t, "chromium", "chromium-browser", "google-chrome")
	opts := append([]chromedp.ExecAllocatorOption{},
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machine has no network but loopback: keep Chromium from
		// trying to reach anything else.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // stops the browser process
	})
	// The first run starts the browser, which lives as long as ctx: no
	// timeout on it, or the timeout would end the browser. Callers bound
	// their own steps with Within.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium %s: %v", exe, err)
	}
	return ctx
}

// Within returns a context for steps that must finish within d.
func Within(t testing.TB, ctx context.Context, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	t.Cleanup(cancel)
	return ctx
}

// Dashboard starts a headless Chromium (see New), opens the dashboard at
// url and waits until its first data has loaded (body[data-loaded]). It
// returns the context of the test's further steps, which must all finish
// within d of the call.
func Dashboard(t testing.TB, url string, d time.Duration) context.Context {
	t.Helper()
	step := Within(t, New(t), d)
	if err := chromedp.Do(step,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`body[data-loaded="true"]`),
	); err != nil {
		t.Fatalf("loading the dashboard %s: %v", url, err)
	}
	return step
}
