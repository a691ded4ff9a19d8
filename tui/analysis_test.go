package tui_test

import (
	"testing"

	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	tuianalysis "codeberg.org/hardfolio/hardfolio/tui/analysis"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
)

// TestAnalysisFollowsTheUnit: switching the valuation unit on the
// Analysis screen analyses the new snapshot, in the new unit.
func TestAnalysisFollowsTheUnit(t *testing.T) {
	m := newDemo(t, 100, 40)
	pressScreen(t, m, "Analysis")
	scr := m.Screen(m.Active()).(*tuianalysis.Model)
	if r := scr.Report(); r == nil || r.Valuation.Unit != "EUR" || r.Risk == nil || r.Risk.Unit != "EUR" {
		t.Fatalf("first report: %+v", r)
	}
	tuitest.Press(m, m.Context().Keys.NextUnit)
	unit := m.Context().Unit()
	if unit == "EUR" {
		t.Fatal("the unit did not change")
	}
	r := scr.Report()
	if r.Valuation != m.Context().Snap.Valuation || r.Valuation.Unit != unit {
		t.Errorf("report is of %s, the screen shows %s", r.Valuation.Unit, unit)
	}
	if want, err := history.UnitAsset(unit); err != nil || r.Risk == nil || r.Risk.Unit != want {
		t.Errorf("risk measured in %+v, want %s (%v)", r.Risk, want, err)
	}
}

// TestAnalysisResultReachesItsScreen: an analysis that finishes while
// another tab is shown still reaches the Analysis screen.
func TestAnalysisResultReachesItsScreen(t *testing.T) {
	m := newDemo(t, 100, 40)
	var scr *tuianalysis.Model
	for i := 0; i < 9; i++ {
		if s, ok := m.Screen(i).(*tuianalysis.Model); ok {
			scr = s
			break
		}
	}
	if scr == nil || m.Active() == 4 {
		t.Fatal("no Analysis screen, or it is shown")
	}
	cmd := scr.Load()
	if cmd == nil {
		t.Fatal("Load asked for nothing")
	}
	tuitest.Send(m, cmd())
	if r := scr.Report(); r == nil || r.Valuation != m.Context().Snap.Valuation {
		t.Errorf("report %v did not arrive while the Dashboard was shown", r)
	}
	if scr.Load() != nil {
		t.Error("Load asks again for a snapshot already analysed")
	}
}
