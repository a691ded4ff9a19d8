package montecarlo

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/montecarlo"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newScreen(t *testing.T) *Model {
	t.Helper()
	ctx := &common.Context{Styles: styles.DefaultStyles(true), Keys: keys.DefaultKeyMap(), Now: func() time.Time { return now },
		Snap: common.BuildSnapshot(portfolio.Demo(now), "EUR", now)}
	m := New(ctx)
	m.SetSize(100, 40)
	return m
}

// finish runs cmd and the commands its messages lead to, as bubbletea
// would, and returns the number of progress reports seen.
func finish(t *testing.T, m *Model, cmd tea.Cmd) int {
	t.Helper()
	reports := 0
	for cmd != nil {
		msg := cmd()
		if _, ok := msg.(progressMsg); ok {
			reports++
		}
		_, cmd = m.Update(msg)
	}
	return reports
}

// TestRunMatchesThePackage: the screen's run is the simulation the
// package gives for the same plan and settings, with progress reported on
// the way.
func TestRunMatchesThePackage(t *testing.T) {
	m := newScreen(t)
	if reports := finish(t, m, m.Load()); reports == 0 {
		t.Error("no progress reported")
	}
	if m.Running() || m.Result() == nil {
		t.Fatalf("running %v, result %v, error %v", m.Running(), m.Result(), m.err)
	}
	pl, err := montecarlo.PlanFor(m.Snap.Valuation)
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	want, err := montecarlo.Run(context.Background(), history.MustLoad(), pl.Config(s.Years, s.Paths, s.Seed, s.Policy))
	if err != nil {
		t.Fatal(err)
	}
	got := *m.Result()
	got.Config.Progress, want.Config.Progress = nil, nil
	if !reflect.DeepEqual(got.Fan, want.Fan) || got.CVaR95 != want.CVaR95 || got.From != want.From {
		t.Errorf("screen's result differs from the package's")
	}
	if m.Load() != nil {
		t.Error("Load runs again for the same snapshot and settings")
	}
}

// TestSettingsRunAgain: each setting key changes its setting and runs
// again with it.
func TestSettingsRunAgain(t *testing.T) {
	m := newScreen(t)
	finish(t, m, m.Load())
	first := m.Result()
	km := m.Keys
	for _, c := range []struct {
		name  string
		press func()
		check func(r *montecarlo.Result) bool
	}{
		{"policy", func() { finish(t, m, pressKey(m, km.SimPolicy)) }, func(r *montecarlo.Result) bool { return r.Config.Rebalance == montecarlo.Bands }},
		{"longer", func() { finish(t, m, pressKey(m, km.SimLonger)) }, func(r *montecarlo.Result) bool { return r.Config.Years == 35 }},
		{"shorter", func() { finish(t, m, pressKey(m, km.SimShorter)); finish(t, m, pressKey(m, km.SimShorter)) }, func(r *montecarlo.Result) bool { return r.Config.Years == 25 }},
		{"later", func() { finish(t, m, pressKey(m, km.SimLater)) }, func(r *montecarlo.Result) bool { return r.From == first.From+12 }},
		{"earlier", func() { finish(t, m, pressKey(m, km.SimEarlier)) }, func(r *montecarlo.Result) bool { return r.From == first.From }},
		{"reseed", func() { finish(t, m, pressKey(m, km.SimReseed)) }, func(r *montecarlo.Result) bool { return r.Config.Seed == 2 }},
		{"btc 20%", func() { finish(t, m, pressKey(m, km.SimBTC)) }, func(r *montecarlo.Result) bool { return btcCAGR(r) == 0.20 }},
		{"btc 10%", func() { finish(t, m, pressKey(m, km.SimBTC)) }, func(r *montecarlo.Result) bool { return btcCAGR(r) == 0.10 }},
		{"btc history", func() {
			for range 3 {
				finish(t, m, pressKey(m, km.SimBTC))
			}
		}, func(r *montecarlo.Result) bool { return r.Config.Expect == nil && btcCAGR(r) == btcCAGR(first) }},
	} {
		c.press()
		if r := m.Result(); r == nil || !c.check(r) {
			t.Errorf("%s: result %+v", c.name, r)
		}
	}
	// Earlier than the first month the assets share does nothing.
	if cmd := pressKey(m, km.SimEarlier); cmd != nil {
		t.Error("earlier than the history ran again")
	}
}

// btcCAGR is the growth a result gives bitcoin.
func btcCAGR(r *montecarlo.Result) float64 {
	for i, a := range r.Config.Assets {
		if a == history.BTC {
			return math.Round(r.AssetCAGR[i]*1e9) / 1e9
		}
	}
	return math.NaN()
}

func pressKey(m *Model, b interface{ Keys() []string }) tea.Cmd {
	_, cmd := m.Update(keys.KeyMsg(b.Keys()[0]))
	return cmd
}

// TestStop: esc stops a run; its late result is dropped, and the screen
// stays stopped until a setting changes.
func TestStop(t *testing.T) {
	m := newScreen(t)
	cmd := m.Load()
	j := m.job
	if cmd == nil || j == nil {
		t.Fatal("no run started")
	}
	pressKey(m, m.Keys.SimStop)
	if m.Running() || !m.stopped {
		t.Fatal("esc did not stop the run")
	}
	// The command starts the job's goroutine, which finds its context
	// cancelled and ends at once without a report.
	d, ok := cmd().(doneMsg)
	if !ok || d.gen != j.gen || !errors.Is(d.err, context.Canceled) {
		t.Fatalf("stopped run ended with %+v, want context.Canceled", d)
	}
	m.Update(d)
	if m.Result() != nil || m.Load() != nil {
		t.Error("a stopped run left a result, or Load started it again")
	}
	finish(t, m, pressKey(m, m.Keys.SimReseed))
	if m.Result() == nil {
		t.Error("a new seed did not run again")
	}
}
