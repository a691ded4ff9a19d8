package tui_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	tuistress "codeberg.org/hardfolio/hardfolio/tui/stress"
)

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func keyBackspace() tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyBackspace} }

// submitOnly submits the form and returns the portfolio's one scenario,
// failing when the form stays open or there is not exactly one.
func submitOnly(t *testing.T, m *tui.Model, scr *tuistress.Model) portfolio.Scenario {
	t.Helper()
	tuitest.Press(m, m.Context().Keys.Submit)
	if scr.Capturing() {
		t.Fatalf("the form stayed open:\n%s", tuitest.Plain(m))
	}
	p := m.Snapshot().Portfolio
	if len(p.Scenarios) != 1 {
		t.Fatalf("scenarios %+v", p.Scenarios)
	}
	return p.Scenarios[0]
}

// TestStressFormAddsAScenario: a scenario typed into the form is saved in
// the portfolio and run with the others; a bad month is refused beside
// its field and nothing is saved.
func TestStressFormAddsAScenario(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	pressScreen(t, m, "Stress")
	scr := m.Screen(m.Active()).(*tuistress.Model)
	builtins := len(scr.Results())

	tuitest.Press(m, km.AddScenario)
	if !scr.Capturing() || !strings.Contains(tuitest.Plain(m), "Add a scenario") {
		t.Fatalf("no form:\n%s", tuitest.Plain(m))
	}
	typeField := func(s string) {
		tuitest.Type(m, s)
		tuitest.Press(m, km.NextField)
	}
	typeField("vault-shut")         // ID
	typeField("Vault shut")         // name
	typeField("")                   // description
	typeField("my guess")           // source
	typeField("2008-13")            // from: not a month
	typeField("2009-02")            // to
	typeField("")                   // home follows
	typeField("XAU +10%")           // moves
	tuitest.Press(m, km.NextField)  // past the first custody event, to its kind
	tuitest.Press(m, km.NextOption) // freeze
	tuitest.Press(m, km.NextField)
	typeField("")             // custody kinds
	typeField("zurich-vault") // custodians
	typeField("")             // jurisdictions
	typeField("")             // assets
	typeField("30")           // days
	tuitest.Press(m, km.Submit)
	frame := tuitest.Plain(m)
	if !strings.Contains(frame, `✗ "2008-13": want a month as YYYY-MM`) {
		t.Fatalf("no error beside the month:\n%s", frame)
	}
	if len(m.Snapshot().Portfolio.Scenarios) != 0 {
		t.Fatal("an invalid scenario was saved")
	}

	// Clear the replay window: a hypothetical scenario.
	for i := 0; i < 20; i++ {
		tuitest.Press(m, km.PrevField)
		if strings.Contains(tuitest.Plain(m), "› Replay from") {
			break
		}
	}
	for i := 0; i < 7; i++ {
		tuitest.Send(m, keyBackspace())
	}
	tuitest.Press(m, km.NextField)
	for i := 0; i < 7; i++ {
		tuitest.Send(m, keyBackspace())
	}
	s := submitOnly(t, m, scr)
	if s.ID != "vault-shut" || s.Replay() || len(s.Moves) != 1 || s.Moves[0].Asset != "XAU" || !s.Moves[0].Change.Equal(decimalOf("0.1")) ||
		len(s.Events) != 1 || s.Events[0].Kind != portfolio.EventFreeze || s.Events[0].Days != 30 || s.Events[0].Custodians[0] != "zurich-vault" {
		t.Fatalf("saved %+v", s)
	}
	rs := scr.Results()
	if len(rs) != builtins+1 || scr.Selected() == nil || scr.Selected().Scenario.ID != "vault-shut" {
		t.Fatalf("%d results, selected %v", len(rs), scr.Selected())
	}
	r := scr.Selected()
	for _, h := range r.Holdings {
		frozen := h.ID == "vault-bar"
		if frozen != (len(h.Events) > 0) {
			t.Errorf("%s: events %v", h.ID, h.Events)
		}
	}

	// Delete it again; built-in ones cannot be.
	tuitest.Press(m, km.DeleteScenario)
	if len(m.Snapshot().Portfolio.Scenarios) != 0 {
		t.Fatal("not deleted")
	}
	tuitest.Press(m, km.DeleteScenario)
	if !strings.Contains(tuitest.Plain(m), "Built-in scenarios cannot be deleted") {
		t.Errorf("no refusal:\n%s", tuitest.Plain(m))
	}
}

// TestStressFormRefusesAWindowOutsideTheHistory: a replay the bundled
// history does not cover is refused beside the window, nothing saved.
func TestStressFormRefusesAWindowOutsideTheHistory(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	pressScreen(t, m, "Stress")
	first, _ := history.MustLoad().Calendar()
	tuitest.Press(m, km.AddScenario)
	from, to := (first - 24).String(), (first - 18).String()
	for _, v := range []string{"too-early", "Too early", "", "", from, to} {
		tuitest.Type(m, v)
		tuitest.Press(m, km.NextField)
	}
	tuitest.Press(m, km.Submit)
	frame := tuitest.Plain(m)
	if !strings.Contains(frame, "✗ the window "+from+" to "+to+" is outside the bundled") {
		t.Fatalf("no refusal of the window:\n%s", frame)
	}
	if len(m.Snapshot().Portfolio.Scenarios) != 0 {
		t.Fatal("a scenario the history cannot replay was saved")
	}
}

// TestStressEditBuiltinMakesACopy: editing a built-in scenario opens the
// form on a copy under a new ID, which saves as the owner's own.
func TestStressEditBuiltinMakesACopy(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	pressScreen(t, m, "Stress")
	scr := m.Screen(m.Active()).(*tuistress.Model)
	for scr.Selected().Scenario.ID != "cyprus-2013" {
		tuitest.Press(m, km.NextScenario)
	}
	tuitest.Press(m, km.EditScenario)
	tuitest.Press(m, km.Submit)
	p := m.Snapshot().Portfolio
	if len(p.Scenarios) != 1 || p.Scenarios[0].ID != "cyprus-2013-mine" || p.Scenarios[0].Events[0].Kind != portfolio.EventBailIn ||
		!p.Scenarios[0].Events[0].Share.Equal(decimalOf("0.475")) || p.Scenarios[0].Events[0].Days != 12 {
		t.Fatalf("copy saved as %+v", p.Scenarios)
	}
}

// TestStressFormEditsEveryEvent: the form steps through a scenario's
// custody events, changes one, adds one and removes one.
func TestStressFormEditsEveryEvent(t *testing.T) {
	m := newDemo(t, 120, 40)
	km := m.Context().Keys
	pressScreen(t, m, "Stress")
	scr := m.Screen(m.Active()).(*tuistress.Model)
	for scr.Selected().Scenario.ID != "sanctions" {
		tuitest.Press(m, km.NextScenario)
	}
	tuitest.Press(m, km.EditScenario) // a copy of its three events
	focus := func(label string) {
		t.Helper()
		for i := 0; i < 30; i++ {
			if strings.Contains(tuitest.Plain(m), "› "+label) {
				return
			}
			tuitest.Press(m, km.NextField)
		}
		t.Fatalf("no field %q:\n%s", label, tuitest.Plain(m))
	}
	focus("Custody event")
	if !strings.Contains(tuitest.Plain(m), "1 of 3") {
		t.Fatalf("the chooser does not count three events:\n%s", tuitest.Plain(m))
	}
	// Event 3 (banks abroad, 180 days) becomes 90 days.
	tuitest.Press(m, km.NextOption)
	tuitest.Press(m, km.NextOption)
	focus("Days")
	for i := 0; i < 3; i++ {
		tuitest.Send(m, keyBackspace())
	}
	tuitest.Type(m, "90")
	// Event 1 is removed: its kind set to none.
	focus("Custody event")
	tuitest.Press(m, km.PrevOption)
	tuitest.Press(m, km.PrevOption)
	focus("Event kind")
	tuitest.Press(m, km.PrevOption)
	// A new event: bitcoin on exchanges lost.
	focus("Custody event")
	tuitest.Press(m, km.PrevOption) // wraps to the new one
	focus("Event kind")
	tuitest.Press(m, km.NextOption)
	tuitest.Press(m, km.NextOption) // loss
	focus("Custody kinds")
	tuitest.Type(m, "exchange")
	focus("Share")
	tuitest.Type(m, "100%")
	ev := submitOnly(t, m, scr).Events
	if len(ev) != 3 || !ev[0].Indefinite || len(ev[0].Assets) != 1 || ev[0].Assets[0] != portfolio.KindETF ||
		ev[1].Days != 90 || ev[1].CustodyKinds[0] != portfolio.CustodyBank ||
		ev[2].Kind != portfolio.EventLoss || !ev[2].Share.Equal(decimalOf("1")) || ev[2].CustodyKinds[0] != portfolio.CustodyExchange {
		t.Fatalf("events saved: %+v", ev)
	}
}
