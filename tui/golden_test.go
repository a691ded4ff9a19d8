package tui_test

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
)

var sizes = []struct{ w, h int }{{80, 24}, {160, 48}}

// env is a fixed environment: a 256-colour terminal, dark background.
func env(k string) string {
	switch k {
	case "TERM":
		return "xterm-256color"
	case "COLORTERM":
		return "truecolor"
	}
	return ""
}

// newDemo opens the demo portfolio at the pinned clock and sizes the
// interface.
func newDemo(tb testing.TB, w, h int) *tui.Model {
	tb.Helper()
	m := tui.New(tui.Options{Book: book.OpenDemo(tuitest.Clock), Now: tuitest.Now, Theme: "dark", Getenv: env, Devices: deviceService()})
	tuitest.Send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// eachSize runs f at every golden size and compares the frame it leaves.
func eachSize(t *testing.T, f func(m *tui.Model)) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
			m := newDemo(t, s.w, s.h)
			f(m)
			golden.RequireEqual(t, []byte(tuitest.Plain(m)))
		})
	}
}

func TestDashboard(t *testing.T) {
	eachSize(t, func(m *tui.Model) {})
}

func TestHoldings(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		tuitest.Press(m, m.Context().Keys.Screen[1])
	})
}

func TestAddForm(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		km := m.Context().Keys
		tuitest.Press(m, km.Screen[1])
		tuitest.Press(m, km.Add)
	})
}

func TestHelp(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		tuitest.Press(m, m.Context().Keys.Help)
	})
}

// pressScreen presses the number key of the screen titled name.
func pressScreen(t *testing.T, m *tui.Model, name string) {
	t.Helper()
	for i := 0; i < 9; i++ {
		tuitest.Press(m, m.Context().Keys.Screen[i])
		if m.Screen(m.Active()).Title() == name {
			return
		}
	}
	t.Fatalf("no screen %q", name)
}

// TestAnalysis draws the Analysis screen of the demo, scrolled to the top
// and to the risk figures.
func TestAnalysis(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Analysis")
	})
}

func TestAnalysisRisk(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Analysis")
		tuitest.Press(m, m.Context().Keys.PageDown)
	})
}

// TestStress draws the Stress screen of the demo: the table of scenarios
// with the first selected, and the exchange failure selected and
// scrolled to its holdings.
func TestStress(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Stress")
	})
}

func TestStressExchangeFailure(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Stress")
		for i := 0; i < 7; i++ {
			tuitest.Press(m, m.Context().Keys.NextScenario)
		}
		tuitest.Press(m, m.Context().Keys.Bottom)
	})
}

// TestStressForm draws the scenario form on a copy of the built-in
// sanctions scenario, at its first custody event.
func TestStressForm(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Stress")
		for i := 0; i < 8; i++ {
			tuitest.Press(m, m.Context().Keys.NextScenario)
		}
		tuitest.Press(m, m.Context().Keys.EditScenario)
		for i := 0; i < 9; i++ {
			tuitest.Press(m, m.Context().Keys.NextField)
		}
	})
}

// TestMonteCarlo draws the Monte Carlo screen of the demo after its run,
// at the top and scrolled to the figures below the fan.
func TestMonteCarlo(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Monte Carlo")
	})
}

func TestMonteCarloFigures(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Monte Carlo")
		tuitest.Press(m, m.Context().Keys.Bottom)
	})
}

// TestRebalance draws the Rebalance screen of the demo: targets, drift
// and plan at the top; the plan's what-if and the backtest below; the
// targets form saying by how much typed targets miss 100%; a typed
// what-if.
func TestRebalance(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Rebalance")
	})
}

func TestRebalanceBottom(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Rebalance")
		tuitest.Press(m, m.Context().Keys.Bottom)
	})
}

func TestRebalanceTargetsForm(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		km := m.Context().Keys
		pressScreen(t, m, "Rebalance")
		tuitest.Press(m, km.RebalTargets)
		// The demo's 25% cash becomes 20%: 5% short.
		tuitest.Send(m, tea.KeyMsg{Type: tea.KeyCtrlU})
		tuitest.Type(m, "BTC=30 Gold=45 Cash=20 band=5/25")
	})
}

// TestRebalanceCostsForm: the demo's costs in the form, the gold spread
// changed to a value refused with its error beside it.
func TestRebalanceCostsForm(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		km := m.Context().Keys
		pressScreen(t, m, "Rebalance")
		tuitest.Press(m, km.RebalCosts)
		for range 4 {
			tuitest.Press(m, km.NextField)
		}
		tuitest.Send(m, tea.KeyMsg{Type: tea.KeyCtrlU})
		tuitest.Type(m, "100")
		tuitest.Press(m, km.Submit)
	})
}

func TestRebalanceWhatIf(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		km := m.Context().Keys
		pressScreen(t, m, "Rebalance")
		tuitest.Press(m, km.RebalWhatIf)
		tuitest.Type(m, "sell the vault bar")
		tuitest.Press(m, km.Accept)
		tuitest.Press(m, km.PageDown)
	})
}
