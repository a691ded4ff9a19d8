package tui_test

import (
	"bytes"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/dashboard"
	"codeberg.org/hardfolio/hardfolio/tui/holdings"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
)

func holdingsScreen(t testing.TB, m *tui.Model) *holdings.Model {
	t.Helper()
	h, ok := m.Screen(1).(*holdings.Model)
	if !ok {
		t.Fatalf("screen 2 is %T, want the holdings screen", m.Screen(1))
	}
	return h
}

// TestAddHoldingFlow runs the whole program: it opens the demo, adds 0.5
// BTC at the Ledger through the form, and checks that the dashboard's net
// worth grew by exactly the new holding's value.
func TestAddHoldingFlow(t *testing.T) {
	m := tui.New(tui.Options{Book: book.OpenDemo(tuitest.Clock), Now: tuitest.Now, Theme: "dark", Getenv: env})
	before := m.Snapshot().Valuation.Total
	km := m.Context().Keys
	press := func(tm *teatest.TestModel, b interface{ Keys() []string }) {
		tm.Send(keys.KeyMsg(b.Keys()[0]))
	}

	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitFor := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			return strings.Contains(ansi.Strip(string(b)), what)
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	}
	waitFor("Net worth")
	press(tm, km.Screen[1])
	waitFor("Price age")
	press(tm, km.Add)
	waitFor("Add holding")
	// The kind starts at bitcoin and the custodian at the first hardware
	// wallet, the Ledger; the amount is the next field.
	press(tm, km.NextField)
	tm.Type("0.5")
	press(tm, km.Submit)
	waitFor("Added Bitcoin, 0.50000000 BTC at Ledger Nano S Plus")
	press(tm, km.Screen[0])
	waitFor("Net worth")
	press(tm, km.Quit)

	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model)
	if !ok {
		t.Fatalf("final model is not *tui.Model")
	}
	snap := fm.Snapshot()
	p := snap.Portfolio
	i := p.HoldingIndex("btc-ledger-2")
	if i < 0 {
		t.Fatalf("no holding btc-ledger-2 after adding; holdings: %v", ids(p))
	}
	h := p.Holdings[i]
	if h.Kind != portfolio.KindBTC || h.Sats != 50_000_000 || h.Custodian != "ledger" {
		t.Fatalf("added holding = %+v, want 50,000,000 sats at ledger", h)
	}
	added := snap.Valuation.Lines[i].Value
	if !added.IsPositive() {
		t.Fatalf("the new holding is valued at %s", added)
	}
	after := snap.Valuation.Total
	if got := after.Sub(before); !got.Equal(added) {
		t.Fatalf("net worth grew by %s, want exactly the new holding's %s (before %s, after %s)", got, added, before, after)
	}
	dash := fm.Screen(0).(*dashboard.Model)
	if got, want := dash.NetWorth(), snap.Unit.Format(after); got != want {
		t.Fatalf("dashboard shows %q, want %q", got, want)
	}
	frame := ansi.Strip(fm.View())
	if !strings.Contains(frame, snap.Unit.Format(after)) {
		t.Fatalf("the last frame does not show the new net worth %s:\n%s", snap.Unit.Format(after), frame)
	}
	t.Logf("net worth %s -> %s (+%s)", snap.Unit.Format(before), snap.Unit.Format(after), snap.Unit.Format(added))
}

func ids(p *portfolio.Portfolio) []string {
	var out []string
	for _, h := range p.Holdings {
		out = append(out, h.ID)
	}
	return out
}

// addBTC adds a bitcoin holding through the form, typing amount.
func addBTC(m *tui.Model, amount string) {
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	tuitest.Press(m, km.NextField)
	tuitest.Type(m, amount)
	tuitest.Press(m, km.Submit)
}

func TestUndoRestoresThePortfolio(t *testing.T) {
	b := book.OpenDemo(tuitest.Clock)
	orig, err := portfolio.Encode(b.Portfolio())
	if err != nil {
		t.Fatal(err)
	}
	origP := b.Portfolio().Clone()
	m := newDemoWith(t, b, 100, 30)
	before := m.Snapshot().Valuation.Total

	addBTC(m, "0.5")
	if n := len(m.Portfolio().Holdings); n != len(origP.Holdings)+1 {
		t.Fatalf("after adding: %d holdings, want %d (status %q)", n, len(origP.Holdings)+1, m.Status())
	}
	if !m.CanUndo() {
		t.Fatal("nothing to undo after adding")
	}
	tuitest.Press(m, m.Context().Keys.Undo)

	if m.CanUndo() {
		t.Fatal("the undo history is not empty after undoing the only change")
	}
	if !reflect.DeepEqual(m.Portfolio(), origP) {
		t.Fatalf("portfolio after undo differs from the original")
	}
	if !reflect.DeepEqual(b.Portfolio(), origP) {
		t.Fatalf("the book's portfolio after undo differs from the original")
	}
	got, err := portfolio.Encode(b.Portfolio())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, orig) {
		t.Fatalf("encoded portfolio after undo differs:\n%s\nwant:\n%s", got, orig)
	}
	if after := m.Snapshot().Valuation.Total; !after.Equal(before) {
		t.Fatalf("net worth after undo is %s, want %s", after, before)
	}
	if !strings.HasPrefix(m.Status(), "Undone: Added Bitcoin") {
		t.Fatalf("status after undo = %q", m.Status())
	}
}

func TestNegativeQuantityIsRefusedBesideTheField(t *testing.T) {
	b := book.OpenDemo(tuitest.Clock)
	origP := b.Portfolio().Clone()
	m := newDemoWith(t, b, 100, 30)
	addBTC(m, "-0.5")

	h := holdingsScreen(t, m)
	if !h.FormOpen() {
		t.Fatal("the form closed on an invalid amount")
	}
	errs := h.FormErrors()
	if got := errs[holdings.FieldBTCAmount]; got != "must not be negative" {
		t.Fatalf("amount error = %q, want %q (all errors %v)", got, "must not be negative", errs)
	}
	if len(errs) != 1 {
		t.Fatalf("errors on other fields too: %v", errs)
	}
	if !reflect.DeepEqual(b.Portfolio(), origP) || !reflect.DeepEqual(m.Portfolio(), origP) {
		t.Fatal("an invalid holding changed the portfolio")
	}
	if m.CanUndo() {
		t.Fatal("an invalid holding left something to undo")
	}
	// The message is on the amount's line of the form.
	for _, line := range strings.Split(tuitest.Plain(m), "\n") {
		if strings.Contains(line, "must not be negative") {
			if !strings.Contains(line, "Amount") || !strings.Contains(line, "-0.5") {
				t.Fatalf("the error is not beside the amount field: %q", line)
			}
			return
		}
	}
	t.Fatalf("the error is not shown:\n%s", tuitest.Plain(m))
}

func TestValidationErrorsMapToFields(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	// Kind: gold coins or bars.
	tuitest.Press(m, km.NextOption)
	tuitest.Press(m, km.NextField) // weight
	tuitest.Type(m, "abc")
	tuitest.Press(m, km.NextField) // weight unit
	tuitest.Press(m, km.NextField) // fineness
	for range 6 {
		tuitest.Send(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	tuitest.Type(m, "1.5")
	tuitest.Press(m, km.Submit)

	errs := holdingsScreen(t, m).FormErrors()
	if errs[holdings.FieldWeight] != "not a number" {
		t.Errorf("weight error = %q", errs[holdings.FieldWeight])
	}
	if !strings.HasPrefix(errs[holdings.FieldFineness], "must be above 0 and at most 1") {
		t.Errorf("fineness error = %q", errs[holdings.FieldFineness])
	}
	if len(m.Portfolio().Holdings) != 10 {
		t.Errorf("an invalid holding was saved")
	}
}

func TestAddWithNewCustodian(t *testing.T) {
	m := newDemo(t, 100, 40)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	for range 3 {
		tuitest.Press(m, km.NextOption) // bitcoin -> gold -> ETF -> cash
	}
	tuitest.Press(m, km.NextField)
	tuitest.Type(m, "gbp")
	tuitest.Press(m, km.NextField)
	tuitest.Type(m, "1,250.50")
	tuitest.Press(m, km.NextField) // custodian
	tuitest.Type(m, "N")           // type-ahead: "New custodian…"
	tuitest.Press(m, km.NextField)
	tuitest.Type(m, "Barclays London")
	tuitest.Press(m, km.NextField)  // kind
	tuitest.Press(m, km.PrevOption) // bank, the last custody kind
	tuitest.Press(m, km.NextField)
	for range 2 {
		tuitest.Send(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	tuitest.Type(m, "gb")
	tuitest.Press(m, km.Submit)

	p := m.Portfolio()
	c := p.Custodian("barclays-london")
	if c == nil || c.Kind != portfolio.CustodyBank || c.Jurisdiction != "GB" {
		t.Fatalf("new custodian = %+v (status %q, errors %v)", c, m.Status(), holdingsScreen(t, m).FormErrors())
	}
	i := p.HoldingIndex("gbp-barclays-london")
	if i < 0 {
		t.Fatalf("no holding gbp-barclays-london: %v", ids(p))
	}
	if h := p.Holdings[i]; h.Currency != "GBP" || !h.Amount.Equal(decimal.RequireFromString("1250.50")) {
		t.Fatalf("holding = %+v", h)
	}
	if holdingsScreen(t, m).Selected() != "gbp-barclays-london" {
		t.Fatalf("selected %q after adding, want the new holding", holdingsScreen(t, m).Selected())
	}
}

func TestEditHolding(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	h := holdingsScreen(t, m)
	if h.Selected() != "vault-bar" {
		t.Fatalf("first row is %q, want the vault bar (largest value)", h.Selected())
	}
	tuitest.Press(m, km.Edit)
	if !h.FormOpen() {
		t.Fatal("edit did not open the form")
	}
	// The kind and ID are fixed; the first field is the weight.
	for range 3 {
		tuitest.Press(m, km.NextField) // unit, fineness, pieces
	}
	for range 3 {
		tuitest.Send(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	tuitest.Type(m, "2")
	tuitest.Press(m, km.Submit)
	p := m.Portfolio()
	got := p.Holdings[p.HoldingIndex("vault-bar")]
	if got.Pieces != 2 || got.Serial != "VC-248611" || len(got.Lots) != 1 {
		t.Fatalf("edited holding = %+v (errors %v)", got, h.FormErrors())
	}
	if !strings.HasPrefix(m.Status(), "Changed Kilobar (Valcambi)") {
		t.Fatalf("status = %q", m.Status())
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Delete)
	if !strings.Contains(tuitest.Plain(m), "Delete Kilobar (Valcambi), 1 kg bar?") {
		t.Fatalf("no question before deleting:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.No)
	if len(m.Portfolio().Holdings) != 10 {
		t.Fatal("deleted although the answer was no")
	}
	tuitest.Press(m, km.Delete)
	tuitest.Press(m, km.Yes)
	if m.Portfolio().HoldingIndex("vault-bar") >= 0 {
		t.Fatal("not deleted after yes")
	}
	tuitest.Press(m, km.Undo)
	if m.Portfolio().HoldingIndex("vault-bar") < 0 {
		t.Fatal("undo did not bring the holding back")
	}
}

func TestSortAndFilter(t *testing.T) {
	m := newDemo(t, 120, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	h := holdingsScreen(t, m)

	if c, desc := h.Sort(); c != holdings.ColValue || !desc {
		t.Fatalf("default sort = %v desc=%v, want value, largest first", c, desc)
	}
	shown := h.Shown()
	if shown[0] != "vault-bar" || shown[len(shown)-1] != "btc-kraken" {
		t.Fatalf("by value: %v", shown)
	}
	tuitest.Press(m, km.Reverse)
	if got := h.Shown(); got[0] != "btc-kraken" {
		t.Fatalf("reversed: %v", got)
	}
	// Cycle to the asset column: asset, quantity... wraps around from age.
	for c, _ := h.Sort(); c != holdings.ColAsset; c, _ = h.Sort() {
		tuitest.Press(m, km.Sort)
	}
	if got := h.Shown(); got[0] != "btc-kraken" || got[1] != "btc-ledger" || got[2] != "chf-ubs" {
		t.Fatalf("by asset: %v", got)
	}

	tuitest.Press(m, km.Filter)
	tuitest.Type(m, "home safe")
	tuitest.Press(m, km.Accept)
	if got := h.Shown(); !reflect.DeepEqual(got, []string{"krugerrands", "maples"}) {
		t.Fatalf("filtered: %v", got)
	}
	want := decimal.Zero
	v := m.Snapshot().Valuation
	for _, l := range v.Lines {
		if v.Portfolio.Holdings[l.Index].Custodian == "home-safe" {
			want = want.Add(l.Value)
		}
	}
	if !h.ShownTotal().Equal(want) {
		t.Fatalf("filtered total %s, want %s", h.ShownTotal(), want)
	}
	if !strings.Contains(tuitest.Plain(m), "2 of 10 match") {
		t.Fatalf("the footer does not say how many match:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.ClearFilter)
	if len(h.Shown()) != 10 {
		t.Fatalf("after clearing: %v", h.Shown())
	}
}

func TestTotalsAgreeAcrossScreens(t *testing.T) {
	m := newDemo(t, 160, 48)
	dashFrame := tuitest.Plain(m)
	tuitest.Press(m, m.Context().Keys.Screen[1])
	holdFrame := tuitest.Plain(m)
	total := m.Snapshot().Total()
	if !strings.Contains(dashFrame, total) || !strings.Contains(holdFrame, total) {
		t.Fatalf("total %s not on both screens", total)
	}
	sum := decimal.Zero
	for _, r := range m.Snapshot().Rows {
		sum = sum.Add(r.Amount)
	}
	if !sum.Equal(m.Snapshot().Valuation.Total) {
		t.Fatalf("rows add up to %s, total is %s", sum, m.Snapshot().Valuation.Total)
	}
}

func TestUnitSwitching(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	want := []portfolio.Unit{"EUR", "USD", "CHF", "XAU", "BTC", "SAT"}
	if got := m.Units(); !reflect.DeepEqual(got, want) {
		t.Fatalf("units = %v, want %v", got, want)
	}
	for _, u := range append(want[1:], want[0]) {
		tuitest.Press(m, km.NextUnit)
		if got := m.Snapshot().Unit; got != u {
			t.Fatalf("unit = %s, want %s", got, u)
		}
		if m.Snapshot().Valuation.Unpriced != 0 {
			t.Fatalf("%d holdings unpriced in %s", m.Snapshot().Valuation.Unpriced, u)
		}
	}
	tuitest.Press(m, km.PrevUnit)
	if got := m.Snapshot().Unit; got != "SAT" {
		t.Fatalf("previous unit = %s, want SAT", got)
	}

	// A unit typed at the prompt, validated by ParseUnit.
	tuitest.Press(m, km.PickUnit)
	tuitest.Type(m, "XYZ")
	tuitest.Press(m, km.Accept)
	if !strings.Contains(tuitest.Plain(m), `unknown unit "XYZ"`) {
		t.Fatalf("no error for an unknown unit:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.Cancel)
	tuitest.Press(m, km.PickUnit)
	tuitest.Type(m, "jpy")
	tuitest.Press(m, km.Accept)
	s := m.Snapshot()
	if s.Unit != "JPY" || s.Valuation.Unpriced != 10 || !s.Valuation.Total.IsZero() {
		t.Fatalf("JPY: unit %s, %d unpriced, total %s", s.Unit, s.Valuation.Unpriced, s.Valuation.Total)
	}
	frame := tuitest.Plain(m)
	if !strings.Contains(frame, "0 JPY") || !strings.Contains(frame, "10 unpriced") {
		t.Fatalf("the dashboard does not show JPY as unpriced:\n%s", frame)
	}
	tuitest.Press(m, km.Screen[1])
	if !strings.Contains(tuitest.Plain(m), "no price") {
		t.Fatalf("the holdings do not say they have no price:\n%s", tuitest.Plain(m))
	}
	if got := m.Units(); got[len(got)-1] != "JPY" {
		t.Fatalf("a typed unit is not in the cycle: %v", got)
	}
}

func TestStaleValuationRepliesAreDropped(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	// Two presses whose valuations finish in the wrong order: only the
	// second may show.
	_, first := m.Update(keys.Press(km.NextUnit))
	_, second := m.Update(keys.Press(km.NextUnit))
	for _, msg := range append(tuitest.Run(second), tuitest.Run(first)...) {
		m.Update(msg)
	}
	if got := m.Snapshot().Unit; got != "CHF" {
		t.Fatalf("unit = %s, want CHF (the later request)", got)
	}
}

func TestReadOnlyBookRefusesEdits(t *testing.T) {
	dir := t.TempDir()
	first, err := book.Open(dir, book.Options{Unit: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	p, err := first.Portfolio().WithCustodian(portfolio.Custodian{ID: "safe", Name: "Safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "CH"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Save(p); err != nil {
		t.Fatal(err)
	}
	second, err := book.Open(dir, book.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if ro, _ := second.ReadOnly(); !ro {
		t.Fatal("a second open of a locked portfolio is not read-only")
	}
	m := newDemoWith(t, second, 100, 30)
	if !strings.Contains(tuitest.Plain(m), "READ-ONLY") {
		t.Fatalf("the status bar does not say read-only:\n%s", tuitest.Plain(m))
	}
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	if holdingsScreen(t, m).FormOpen() {
		t.Fatal("the form opened on a read-only portfolio")
	}
	if !strings.HasPrefix(m.Status(), "Read-only: edits are refused") {
		t.Fatalf("status = %q", m.Status())
	}
	tuitest.Press(m, km.Undo)
	if !strings.HasPrefix(m.Status(), "Read-only") {
		t.Fatalf("status after undo = %q", m.Status())
	}
}

func TestSaveErrorLeavesThePortfolio(t *testing.T) {
	dir := t.TempDir()
	b, err := book.Open(dir, book.Options{Unit: "CHF"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := b.Portfolio().WithCustodian(portfolio.Custodian{ID: "safe", Name: "Safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "CH"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Save(p); err != nil {
		t.Fatal(err)
	}
	m := newDemoWith(t, b, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	tuitest.Press(m, km.NextField)
	tuitest.Type(m, "1")
	// The file goes away under us: the save fails, nothing changes.
	b.Close()
	tuitest.Press(m, km.Submit)
	if len(m.Portfolio().Holdings) != 0 || m.CanUndo() {
		t.Fatalf("a failed save changed the portfolio: %v", ids(m.Portfolio()))
	}
	if !strings.HasPrefix(m.Status(), "Not saved:") {
		t.Fatalf("status = %q", m.Status())
	}
	if !holdingsScreen(t, m).FormOpen() {
		t.Fatal("the form closed after a failed save")
	}
}

func TestWelcomeOnFirstRun(t *testing.T) {
	b, err := book.Open(t.TempDir(), book.Options{Unit: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Created() {
		t.Fatal("the book was not created")
	}
	m := newDemoWith(t, b, 100, 30)
	frame := tuitest.Plain(m)
	km := m.Context().Keys
	for _, want := range []string{"Welcome to hardfolio", "Your portfolio is empty", "To add your first holding, press " + km.Screen[1].Help().Key + " for the Holdings screen, then " + km.Add.Help().Key} {
		if !strings.Contains(strings.Join(strings.Fields(frame), " "), want) {
			t.Fatalf("no %q on first run:\n%s", want, frame)
		}
	}
	// With no custodian yet, the form offers a new one.
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	if !strings.Contains(tuitest.Plain(m), "New custodian…") {
		t.Fatalf("the form does not offer a new custodian:\n%s", tuitest.Plain(m))
	}
}

func TestMouseWheelAndResize(t *testing.T) {
	p := portfolio.Generate(200, 1, tuitest.Clock)
	b := book.OpenDemo(tuitest.Clock)
	if err := b.Save(p); err != nil {
		t.Fatal(err)
	}
	m := newDemoWith(t, b, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	h := holdingsScreen(t, m)
	first := h.Selected()
	tuitest.Send(m, tea.MouseMsg{X: 10, Y: 10, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if h.Selected() == first {
		t.Fatal("the wheel did not move down the table")
	}
	tuitest.Send(m, tea.WindowSizeMsg{Width: 60, Height: 15})
	for i, line := range strings.Split(tuitest.Plain(m), "\n") {
		if w := ansi.StringWidth(line); w > 60 {
			t.Fatalf("line %d is %d cells wide after resizing to 60: %q", i, w, line)
		}
	}
	if n := strings.Count(tuitest.Plain(m), "\n"); n != 15 {
		t.Fatalf("frame has %d lines, want 15", n)
	}
}

func TestNoColor(t *testing.T) {
	noColor := func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return env(k)
	}
	m := tui.New(tui.Options{Book: book.OpenDemo(tuitest.Clock), Now: tuitest.Now, Getenv: noColor})
	tuitest.Send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	tuitest.Press(m, m.Context().Keys.Screen[1])
	frame := m.View()
	// Attributes (bold, faint, underline, reverse) are allowed; colours
	// are not.
	for _, sgr := range regexp.MustCompile(`\x1b\[([0-9;]*)m`).FindAllStringSubmatch(frame, -1) {
		for _, p := range strings.Split(sgr[1], ";") {
			n, _ := strconv.Atoi(p)
			if (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) {
				t.Fatalf("NO_COLOR frame has the colour sequence %q", sgr[0])
			}
		}
	}
	if !strings.Contains(frame, "\x1b[7m") {
		t.Fatal("without colour the selected row is not in reverse video")
	}
}

func TestExitAfterFirstFrame(t *testing.T) {
	var out bytes.Buffer
	m := tui.New(tui.Options{Book: book.OpenDemo(tuitest.Clock), Now: tuitest.Now, ExitAfterFirstFrame: true, Getenv: env})
	p := tea.NewProgram(m, tea.WithInput(strings.NewReader("")), tea.WithOutput(&out))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	p.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		p.Kill()
		t.Fatal("did not exit after the first frame")
	}
	if !strings.Contains(ansi.Strip(out.String()), "Net worth") {
		t.Fatalf("the frame drawn does not show the dashboard: %q", out.String())
	}
}

func newDemoWith(tb testing.TB, b *book.Book, w, h int) *tui.Model {
	tb.Helper()
	m := tui.New(tui.Options{Book: b, Now: tuitest.Now, Theme: "dark", Getenv: env})
	tuitest.Send(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func TestKeysReadTogetherActOneByOne(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	// The filter key opens the filter, the rest is its text.
	tuitest.Send(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(km.Filter.Keys()[0] + "home")})
	if got := holdingsScreen(t, m).Shown(); len(got) != 2 {
		t.Fatalf("after typing /home at once: %v", got)
	}
}

func TestBitcoinInSats(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Add)
	tuitest.Press(m, km.NextField)
	tuitest.Type(m, "0.015")
	tuitest.Press(m, km.NextField)
	tuitest.Press(m, km.NextOption) // BTC -> sats: the amount becomes 1500000
	if !strings.Contains(tuitest.Plain(m), "1500000") {
		t.Fatalf("the amount was not converted to sats:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.Submit)
	p := m.Portfolio()
	if i := p.HoldingIndex("btc-ledger-2"); i < 0 || p.Holdings[i].Sats != 1_500_000 {
		t.Fatalf("holdings: %v", ids(p))
	}
}

func TestMouseClicks(t *testing.T) {
	m := newDemo(t, 100, 30)
	// Row 1 of the screen holds the tabs: " 1 Dashboard  2 Holdings ...".
	click := func(x, y int) {
		tuitest.Send(m, tea.MouseMsg{X: x, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	}
	click(16, 1)
	if m.Active() != 1 {
		t.Fatalf("clicking the Holdings tab shows screen %d", m.Active())
	}
	// Row 3 is the table's header: click "Asset" to sort by it.
	click(5, 3)
	if c, _ := holdingsScreen(t, m).Sort(); c != holdings.ColAsset {
		t.Fatalf("clicking the asset header sorts by %v", c)
	}
	// Row 6 is the third holding.
	click(5, 6)
	if got := holdingsScreen(t, m).Selected(); got != holdingsScreen(t, m).Shown()[2] {
		t.Fatalf("clicking the third row selects %q", got)
	}
}

func TestQuitWaitsForASave(t *testing.T) {
	m := newDemo(t, 100, 30)
	km := m.Context().Keys
	tuitest.Press(m, km.Screen[1])
	tuitest.Press(m, km.Delete)
	tuitest.Press(m, km.Yes)
	// Undo, holding the save, and quit meanwhile.
	_, save := m.Update(keys.Press(km.Undo))
	if _, quit := m.Update(keys.Press(km.Quit)); quit != nil {
		if _, ok := quit().(tea.QuitMsg); ok {
			t.Fatal("quit while a save was under way")
		}
	}
	done := tuitest.Run(save)
	if len(done) != 1 {
		t.Fatalf("the save sent %v", done)
	}
	_, after := m.Update(done[0])
	if after == nil {
		t.Fatal("no quit after the save finished")
	}
	if _, ok := after().(tea.QuitMsg); !ok {
		t.Fatal("the end of the save did not quit")
	}
	if m.Portfolio().HoldingIndex("vault-bar") < 0 {
		t.Fatal("the undo was lost")
	}
}
