package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
)

// benchPortfolios are the portfolios the benchmarks run on: the demo and
// 1,000 generated holdings.
func benchPortfolios() []struct {
	name string
	p    func() *portfolio.Portfolio
} {
	return []struct {
		name string
		p    func() *portfolio.Portfolio
	}{
		{"demo", func() *portfolio.Portfolio { return portfolio.Demo(tuitest.Clock) }},
		{"1000", func() *portfolio.Portfolio { return portfolio.Generate(1000, 1, tuitest.Clock) }},
	}
}

func benchModel(b *testing.B, p *portfolio.Portfolio, w, h int) *tui.Model {
	b.Helper()
	bk := book.OpenDemo(tuitest.Clock)
	if err := bk.Save(p); err != nil {
		b.Fatal(err)
	}
	m := tui.New(tui.Options{Book: bk, Now: tuitest.Now, Theme: "dark", Getenv: env, Devices: deviceService()})
	tuitest.Send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

var screenNames = []string{"dashboard", "holdings", "wallets", "devices", "analysis", "stress", "montecarlo", "rebalance"}

// BenchmarkKeypress measures a key press to a new frame: Update with the
// key, then View, on every screen, moving down and up in turn.
func BenchmarkKeypress(b *testing.B) {
	for _, pf := range benchPortfolios() {
		for i, name := range screenNames {
			b.Run(pf.name+"/"+name, func(b *testing.B) {
				m := benchModel(b, pf.p(), 120, 40)
				km := m.Context().Keys
				tuitest.Press(m, km.Screen[i])
				down, up := keys.Press(km.Down), keys.Press(km.Up)
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; n < b.N; n++ {
					msg := down
					if n%2 == 1 {
						msg = up
					}
					m.Update(msg)
					_ = m.View()
				}
			})
		}
		// Heavier keys on the holdings screen: re-sorting, filtering,
		// opening the form, and switching the unit (the valuation runs
		// in a command, included here).
		heavy := []struct {
			name string
			key  func(km *keys.KeyMap) []tea.Msg
		}{
			{"holdings-sort", func(km *keys.KeyMap) []tea.Msg { return []tea.Msg{keys.Press(km.Sort)} }},
			{"holdings-filter-keystroke", func(km *keys.KeyMap) []tea.Msg { return nil }},
			{"holdings-open-form", func(km *keys.KeyMap) []tea.Msg { return []tea.Msg{keys.Press(km.Add), keys.Press(km.Cancel)} }},
			{"form-keystroke", func(km *keys.KeyMap) []tea.Msg { return nil }},
			{"unit-switch", func(km *keys.KeyMap) []tea.Msg { return []tea.Msg{keys.Press(km.NextUnit)} }},
			{"stress-next-scenario", func(km *keys.KeyMap) []tea.Msg {
				return []tea.Msg{keys.Press(km.NextScenario), keys.Press(km.PrevScenario)}
			}},
		}
		for _, hv := range heavy {
			b.Run(pf.name+"/"+hv.name, func(b *testing.B) {
				m := benchModel(b, pf.p(), 120, 40)
				km := m.Context().Keys
				tuitest.Press(m, km.Screen[1])
				msgs := hv.key(km)
				switch hv.name {
				case "holdings-filter-keystroke":
					tuitest.Press(m, km.Filter)
					msgs = []tea.Msg{keys.KeyMsg("t"), tea.KeyMsg{Type: tea.KeyBackspace}}
				case "stress-next-scenario":
					tuitest.Press(m, km.Screen[5])
				case "form-keystroke":
					tuitest.Press(m, km.Add)
					tuitest.Press(m, km.NextField)
					msgs = []tea.Msg{keys.KeyMsg("1"), tea.KeyMsg{Type: tea.KeyBackspace}}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; n < b.N; n++ {
					msg := msgs[n%len(msgs)]
					_, cmd := m.Update(msg)
					for _, r := range tuitest.Run(cmd) {
						m.Update(r)
					}
					_ = m.View()
				}
			})
		}
	}
}

// BenchmarkView measures View at 200x60 with 1,000 holdings on every
// screen: it returns the frame the last Update drew.
func BenchmarkView(b *testing.B) {
	p := portfolio.Generate(1000, 1, tuitest.Clock)
	for i, name := range screenNames {
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, p, 200, 60)
			tuitest.Press(m, m.Context().Keys.Screen[i])
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				_ = m.View()
			}
		})
	}
}

// BenchmarkRedraw measures a full redraw at 200x60 with 1,000 holdings:
// a resize lays out every screen again and draws the frame, the most
// work a frame ever takes outside a new valuation.
func BenchmarkRedraw(b *testing.B) {
	p := portfolio.Generate(1000, 1, tuitest.Clock)
	for i, name := range screenNames {
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, p, 200, 60)
			tuitest.Press(m, m.Context().Keys.Screen[i])
			sizes := []tea.WindowSizeMsg{{Width: 200, Height: 60}, {Width: 199, Height: 60}}
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				m.Update(sizes[n%2])
				_ = m.View()
			}
		})
	}
}

// BenchmarkSnapshot measures valuing a portfolio and preparing every
// screen's rows, the work a unit switch or a save runs in a command.
func BenchmarkSnapshot(b *testing.B) {
	for _, pf := range benchPortfolios() {
		p := pf.p()
		b.Run(pf.name, func(b *testing.B) {
			b.ReportAllocs()
			for n := 0; n < b.N; n++ {
				_ = common.BuildSnapshot(p, p.DefaultUnit(), tuitest.Clock)
			}
		})
	}
}
