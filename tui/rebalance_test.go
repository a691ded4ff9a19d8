package tui_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	rebalancepkg "codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/rebalance"
)

func rebalanceScreen(t *testing.T, m *tui.Model) *rebalance.Model {
	t.Helper()
	pressScreen(t, m, "Rebalance")
	r, ok := m.Screen(m.Active()).(*rebalance.Model)
	if !ok || r.Result() == nil {
		t.Fatalf("screen %T has no result", m.Screen(m.Active()))
	}
	return r
}

func encode(t *testing.T, p *portfolio.Portfolio) string {
	t.Helper()
	data, err := portfolio.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestRebalanceScreenIsThePackage: the screen's plan and backtest are the
// package's for the same snapshot.
func TestRebalanceScreenIsThePackage(t *testing.T) {
	m := newDemo(t, 120, 40)
	r := rebalanceScreen(t, m)
	want := rebalance.Compute(m.Snapshot(), "", "", false)
	got := r.Result()
	if encode(t, got.Plan.After()) != encode(t, want.Plan.After()) || !got.Plan.Cost.Equal(want.Plan.Cost) {
		t.Error("the screen's plan differs from the package's")
	}
	if got.Back.Results[1] != want.Back.Results[1] {
		t.Error("the screen's backtest differs from the package's")
	}
	// The what-if's stress table has every scenario of the library.
	if n := len(stress.Library(m.Portfolio())); got.Compare == nil || got.Compare.StressErr != nil || len(got.Compare.Stress) != n {
		t.Errorf("stress rows for %d scenarios: %+v", n, got.Compare)
	}
}

// TestRebalanceApplyAndUndo applies the plan to the portfolio and undoes
// it through the root's undo.
func TestRebalanceApplyAndUndo(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	before := encode(t, m.Portfolio())
	r := rebalanceScreen(t, m)
	after := encode(t, r.Result().Plan.After())
	tuitest.Press(m, km.RebalApply)
	if got := encode(t, m.Portfolio()); got != after {
		t.Fatal("applying did not save the plan's portfolio")
	}
	if !strings.Contains(m.Status(), "Applied the rebalancing plan") {
		t.Errorf("status %q", m.Status())
	}
	// The screen plans the new portfolio: every target within its band.
	if res := r.Result(); res == nil || !res.Plan.InBands {
		t.Errorf("after applying the plan, the targets are not within their bands: %+v", res.Plan.Groups)
	}
	tuitest.Press(m, km.Undo)
	if got := encode(t, m.Portfolio()); got != before {
		t.Fatal("undo did not restore the portfolio")
	}
}

// TestRebalanceTargetsSave: targets that miss 100% are refused with the
// message; targets that add up are saved, and undo restores the old ones.
func TestRebalanceTargetsSave(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	r := rebalanceScreen(t, m)
	tuitest.Press(m, km.RebalTargets)
	tuitest.Send(m, tea.KeyMsg{Type: tea.KeyCtrlU})
	tuitest.Type(m, "Bitcoin=40 Gold=40 Cash=25")
	if msg := r.InputMessage(); !strings.Contains(msg, "weights add up to 105%, not 100%: 5% over") {
		t.Fatalf("message %q", msg)
	}
	tuitest.Press(m, km.Accept)
	if r.Editing() != rebalance.EditingTargets || len(m.Portfolio().Rebalance.Targets) != 3 || m.Portfolio().Rebalance.Targets[0].Key != "BTC" {
		t.Fatal("targets that do not add up were saved")
	}
	tuitest.Send(m, tea.KeyMsg{Type: tea.KeyBackspace})
	tuitest.Send(m, tea.KeyMsg{Type: tea.KeyBackspace})
	tuitest.Type(m, "20")
	if r.InputMessage() != "" {
		t.Fatalf("message %q for targets that add up", r.InputMessage())
	}
	tuitest.Press(m, km.Accept)
	ts := m.Portfolio().Rebalance.Targets
	if r.Editing() != rebalance.NotEditing || len(ts) != 3 || ts[0].Key != "Bitcoin" || ts[0].Weight.String() != "0.4" {
		t.Fatalf("targets %+v", ts)
	}
	tuitest.Press(m, km.Undo)
	if ts := m.Portfolio().Rebalance.Targets; ts[0].Key != "BTC" {
		t.Errorf("undo left targets %+v", ts)
	}
}

// TestRebalanceWhatIfError: a what-if that sells more than is held says
// so, and nothing can be applied.
func TestRebalanceWhatIfError(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	before := encode(t, m.Portfolio())
	r := rebalanceScreen(t, m)
	tuitest.Press(m, km.RebalWhatIf)
	tuitest.Type(m, "sell gld 41")
	tuitest.Press(m, km.Accept)
	if err := r.Result().WhatErr; err == nil || !strings.Contains(err.Error(), "sells 41 sh GLD but only 40 sh GLD is held") {
		t.Fatalf("what-if error %v", err)
	}
	tuitest.Press(m, km.RebalApply)
	if encode(t, m.Portfolio()) != before {
		t.Fatal("a failed what-if changed the portfolio")
	}
}

// TestRebalanceSaveWhatIf saves the typed what-if under a name; a name
// in use is refused.
func TestRebalanceSaveWhatIf(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	r := rebalanceScreen(t, m)
	tuitest.Press(m, km.RebalWhatIf)
	tuitest.Type(m, "sell the vault bar")
	tuitest.Press(m, km.Accept)
	tuitest.Press(m, km.RebalSave)
	tuitest.Type(m, "no vault")
	tuitest.Press(m, km.Accept)
	saved := m.Portfolio().Rebalance.WhatIf("no vault")
	if saved == nil || len(saved.Trades) != 2 || saved.Trades[0].Holding != "vault-bar" || saved.Note != "sell the vault bar" {
		t.Fatalf("saved %+v", saved)
	}
	if m.Portfolio().HoldingIndex("vault-bar") < 0 {
		t.Fatal("saving the what-if applied it")
	}
	tuitest.Press(m, km.RebalSave)
	tuitest.Type(m, "No Vault")
	if !strings.Contains(r.InputMessage(), "exists already") {
		t.Errorf("message %q for a name in use", r.InputMessage())
	}
}

// TestRebalanceOpenAndDeleteSaved: a saved what-if opens on the screen
// as it replays, applies, and is deleted with undo.
func TestRebalanceOpenAndDeleteSaved(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	r := rebalanceScreen(t, m)
	tuitest.Press(m, km.RebalWhatIf)
	tuitest.Type(m, "move 2% from GLD to BTC")
	tuitest.Press(m, km.Accept)
	typed := encode(t, r.Result().Compare.WhatIf.After)
	tuitest.Press(m, km.RebalSave)
	tuitest.Type(m, "more btc")
	tuitest.Press(m, km.Accept)
	tuitest.Press(m, km.RebalDiscard)
	tuitest.Press(m, km.RebalOpen)
	res := r.Result()
	if res.Saved != "more btc" || res.WhatErr != nil || res.Compare == nil {
		t.Fatalf("opened %q: %v", res.Saved, res.WhatErr)
	}
	// The replay gives the typed what-if's holdings (the saved copy also
	// carries the what-if itself).
	got := encode(t, res.Compare.WhatIf.After)
	if i := strings.Index(typed, "[[price]]"); !strings.Contains(got, typed[strings.Index(typed, "[[holding]]"):i]) {
		t.Error("the saved what-if does not replay to the typed one's holdings")
	}
	tuitest.Press(m, km.RebalDelete)
	if m.Portfolio().Rebalance.WhatIf("more btc") != nil {
		t.Fatal("not deleted")
	}
	tuitest.Press(m, km.Undo)
	if m.Portfolio().Rebalance.WhatIf("more btc") == nil {
		t.Fatal("undo did not bring the saved what-if back")
	}
}

// TestRebalanceCostsSave: a commission saved in the costs form is what the
// screen's plan then costs (the package's plan of the portfolio with that
// commission); a bad field is refused beside it and nothing is saved; undo
// restores the old costs.
func TestRebalanceCostsSave(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	r := rebalanceScreen(t, m)
	before := encode(t, m.Portfolio())
	oldCost := r.Result().Plan.Cost
	if len(r.Result().Plan.Trades) == 0 {
		t.Fatal("the demo's plan has no trades to cost")
	}
	tuitest.Press(m, km.RebalCosts)
	if !r.EditingCosts() {
		t.Fatal("the costs form did not open")
	}
	tuitest.Press(m, km.NextField)
	tuitest.Press(m, km.NextField) // the commission
	tuitest.Send(m, tea.KeyMsg{Type: tea.KeyCtrlU})
	tuitest.Type(m, "25")
	tuitest.Press(m, km.Submit)
	if e := r.CostsErrors()["commission"]; !strings.Contains(e, `"25": want AMOUNT CURRENCY`) {
		t.Fatalf("commission error %q", e)
	}
	if encode(t, m.Portfolio()) != before {
		t.Fatal("a refused form changed the portfolio")
	}
	tuitest.Type(m, " usd")
	tuitest.Press(m, km.Submit)
	if r.EditingCosts() {
		t.Fatalf("the form stayed open: %v", r.CostsErrors())
	}
	c := m.Portfolio().Rebalance.Costs
	if !c.Commission.Equal(decimal.NewFromInt(25)) || c.CommissionCurrency != "USD" {
		t.Fatalf("saved costs %+v", c)
	}
	want, err := rebalancepkg.NewPlan(m.Portfolio(), rebalancepkg.Options{Unit: m.Snapshot().Unit, Now: m.Snapshot().AsOf})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Result().Plan
	if !got.Cost.Equal(want.Cost) || !got.Cost.GreaterThan(oldCost) {
		t.Fatalf("plan cost %s after the save, want %s (more than %s)", got.Cost, want.Cost, oldCost)
	}
	tuitest.Press(m, km.Undo)
	if encode(t, m.Portfolio()) != before || !r.Result().Plan.Cost.Equal(oldCost) {
		t.Fatal("undo did not restore the costs and the plan")
	}
}

// TestRebalanceToBand: the toggle plans out-of-band targets back to their
// band's edge, as the package does with ToBand, and back again.
func TestRebalanceToBand(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	r := rebalanceScreen(t, m)
	full := r.Result().Plan
	tuitest.Press(m, km.RebalToBand)
	want, err := rebalancepkg.NewPlan(m.Portfolio(), rebalancepkg.Options{Unit: m.Snapshot().Unit, Now: m.Snapshot().AsOf, ToBand: true})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Result().Plan
	if !r.ToBand() || !got.Options.ToBand || encode(t, got.After()) != encode(t, want.After()) {
		t.Fatal("the screen's plan to the band's edge differs from the package's")
	}
	if !got.Cost.LessThan(full.Cost) {
		t.Errorf("to the band's edge costs %s, fully %s", got.Cost, full.Cost)
	}
	for _, g := range got.Groups {
		if g.OutOfBand && g.DriftAfter.Abs().GreaterThan(g.Width.Add(decimal.RequireFromString("0.002"))) {
			t.Errorf("%s: drift %s after, outside its band", g.Target.Key, rebalancepkg.Points(g.DriftAfter))
		}
	}
	if s := m.Status(); !strings.Contains(s, "band's edge") {
		t.Errorf("status %q", s)
	}
	tuitest.Press(m, km.RebalToBand)
	if r.Result().Plan.Options.ToBand || !r.Result().Plan.Cost.Equal(full.Cost) {
		t.Error("toggling back did not plan fully again")
	}
}
