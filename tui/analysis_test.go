package tui_test

import (
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/tui"
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

// TestEditWarningLimits: L on the Analysis screen opens the limits form;
// a bad value is refused beside its field and changes nothing; a good one
// is saved into [analysis.limits], the analysis runs again with it, and
// undo puts the old limits back.
func TestEditWarningLimits(t *testing.T) {
	m := newDemo(t, 120, 40)
	b := m.Context().Book
	orig := b.Portfolio().Clone()
	km := m.Context().Keys
	pressScreen(t, m, "Analysis")
	scr := m.Screen(m.Active()).(*tuianalysis.Model)
	before := scr.Report()
	if before == nil {
		t.Fatal("no analysis")
	}
	tuitest.Press(m, km.EditLimits)
	if !scr.EditingLimits() {
		t.Fatal("L did not open the limits form")
	}
	// The first field is one asset class: an impossible 150% is refused.
	tuitest.Type(m, "150")
	tuitest.Press(m, km.Submit)
	if !scr.EditingLimits() || !reflect.DeepEqual(b.Portfolio(), orig) {
		t.Fatal("an invalid limit closed the form or changed the portfolio")
	}
	found := false
	for _, line := range strings.Split(tuitest.Plain(m), "\n") {
		if strings.Contains(line, "One asset class") && strings.Contains(line, "want 0 to 100") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the error is not beside its field:\n%s", tuitest.Plain(m))
	}
	// 10% for one asset class: the demo's largest class is over it.
	for range 3 {
		tuitest.Send(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	tuitest.Type(m, "10")
	tuitest.Press(m, km.Submit)
	if scr.EditingLimits() {
		t.Fatalf("the form stayed open: %s", tuitest.Plain(m))
	}
	got := b.Portfolio().Analysis.Limits
	if len(got) != 1 || !got[portfolio.LimitAssetClass].Equal(decimal.RequireFromString("0.1")) {
		t.Fatalf("saved limits %v, want asset_class 0.1 only", got)
	}
	after := scr.Report()
	if after == nil || after == before || !hasLimitWarning(after, portfolio.LimitAssetClass) {
		t.Fatalf("the analysis did not run again with the new limit: %+v", after)
	}
	if hasLimitWarning(before, portfolio.LimitAssetClass) {
		t.Fatal("the default limit already warned; the test proves nothing")
	}
	tuitest.Press(m, km.Undo)
	if !reflect.DeepEqual(b.Portfolio(), orig) {
		t.Fatal("undo did not restore the limits")
	}
}

func hasLimitWarning(r *analysis.Report, l portfolio.Limit) bool {
	for _, w := range r.Warnings {
		if w.Rule == string(l) {
			return true
		}
	}
	return false
}

// TestAnalysisLimitsForm draws the limits form with one value typed.
func TestAnalysisLimitsForm(t *testing.T) {
	eachSize(t, func(m *tui.Model) {
		pressScreen(t, m, "Analysis")
		tuitest.Press(m, m.Context().Keys.EditLimits)
		tuitest.Type(m, "55")
	})
}
