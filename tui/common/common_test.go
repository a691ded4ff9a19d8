package common_test

import (
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui/common"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/styles"
)

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:            "30s",
		59 * time.Minute:            "59m",
		47 * time.Hour:              "47h",
		48 * time.Hour:              "2d",
		13*24*time.Hour + time.Hour: "13d",
		-time.Minute:                "future",
	} {
		if got := common.Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0.0%", "1": "100.0%", "0.52423": "52.4%", "0.00049": "0.0%", "0.0005": "0.1%",
		"0.99951": "100.0%", "-0.1234": "-12.3%",
	} {
		if got := common.Percent(decimal.RequireFromString(in)); got != want {
			t.Errorf("Percent(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestPad(t *testing.T) {
	if got := common.PadRight("Interactive Brokers", 8); got != "Interac…" {
		t.Errorf("PadRight truncates to %q", got)
	}
	if got := common.PadLeft("1.5", 5); got != "  1.5" {
		t.Errorf("PadLeft = %q", got)
	}
	if got := common.PadRight("× g", 5); common.Width(got) != 5 {
		t.Errorf("PadRight(%q) is %d cells", got, common.Width(got))
	}
}

// TestSnapshotRowsAddUp checks that the rows the holdings screen shows and
// the total the dashboard shows come from one valuation and agree.
func TestSnapshotRowsAddUp(t *testing.T) {
	for _, p := range []*portfolio.Portfolio{portfolio.Demo(tuitest.Clock), portfolio.Generate(300, 7, tuitest.Clock)} {
		for _, u := range []portfolio.Unit{"EUR", "USD", "XAU", "SAT"} {
			s := common.BuildSnapshot(p, u, tuitest.Clock)
			sum := decimal.Zero
			for i, r := range s.Rows {
				if r.Index != i || r.ID != p.Holdings[i].ID {
					t.Fatalf("row %d is holding %d (%s)", i, r.Index, r.ID)
				}
				sum = sum.Add(r.Amount)
				if !r.Unpriced && r.Value != portfolio.FormatDecimal(r.Amount, u.Scale()) {
					t.Fatalf("row %s shows %s for %s", r.ID, r.Value, r.Amount)
				}
			}
			if !sum.Equal(s.Valuation.Total) {
				t.Fatalf("%s: rows add up to %s, total %s", u, sum, s.Valuation.Total)
			}
			for _, sl := range s.Allocations {
				total := decimal.Zero
				for _, x := range sl {
					total = total.Add(x.Value)
				}
				if !total.Equal(s.Valuation.Total) {
					t.Fatalf("%s: an allocation adds up to %s, total %s", u, total, s.Valuation.Total)
				}
			}
		}
	}
}

func TestSnapshotFlagsStalePrices(t *testing.T) {
	s := common.BuildSnapshot(portfolio.Demo(tuitest.Clock), "EUR", tuitest.Clock)
	var stale []string
	for _, p := range s.Prices {
		if p.Stale {
			stale = append(stale, p.Label)
		}
	}
	if len(stale) != 1 || stale[0] != "IAU" {
		t.Fatalf("stale prices %v, want [IAU]", stale)
	}
	for _, r := range s.Rows {
		if (r.ID == "iau") != r.Stale {
			t.Fatalf("row %s stale=%v", r.ID, r.Stale)
		}
	}
}

func TestFieldsSave(t *testing.T) {
	st := styles.DefaultStyles(true)
	next := &portfolio.Portfolio{}

	ctx := &common.Context{Styles: st, ReadOnly: true}
	f := common.NewFields(1, st, func(int, *textinput.Model) {})
	if cmd := f.Save(ctx, next, "x"); cmd != nil || f.Pending != 0 || f.SaveErr != ctx.EditBlocked() {
		t.Fatalf("read-only save: cmd %v, pending %d, error %q; want none, 0, %q", cmd != nil, f.Pending, f.SaveErr, ctx.EditBlocked())
	}

	ctx.ReadOnly = false
	f.SaveErr = ""
	cmd := f.Save(ctx, next, "Changed x")
	if f.Pending == 0 || cmd == nil {
		t.Fatalf("save: pending %d, cmd %v; want a request", f.Pending, cmd != nil)
	}
	msgs := tuitest.Run(cmd)
	if len(msgs) != 1 {
		t.Fatalf("save sent %d messages, want 1", len(msgs))
	}
	req, ok := msgs[0].(common.SaveRequestMsg)
	if !ok || req.ID != f.Pending || req.Next != next || req.Desc != "Changed x" {
		t.Fatalf("save sent %#v, want a request %d for the portfolio given", msgs[0], f.Pending)
	}
	if got := len(f.Footer(common.NewPaints(st), 40)); got != 1 {
		t.Errorf("footer while saving has %d lines, want 1 (Saving…)", got)
	}
	if !f.Saved(common.SavedMsg{ID: f.Pending}) || f.Pending != 0 {
		t.Errorf("the save's reply did not close the form")
	}
}

func TestSnapRunDropsStaleReplies(t *testing.T) {
	var r common.SnapRun[int]
	a, b := &common.Snapshot{}, &common.Snapshot{}
	runs := 0
	work := func(*common.Snapshot) int { runs++; return runs }

	first := r.Start("x", a, work)
	if r.Start("x", a, work) != nil {
		t.Fatal("a second Start for the snapshot under way returned work")
	}
	second := r.Start("x", b, work)
	old, latest := first().(common.SnapDone[int]), second().(common.SnapDone[int])
	if r.Take(old) {
		t.Error("the reply for the older snapshot was taken")
	}
	if !r.Take(latest) || r.Of != b || latest.Owner() != "x" {
		t.Errorf("latest reply: Of %p, owner %q; want %p, x", r.Of, latest.Owner(), b)
	}
	if r.Start("x", b, work) != nil || runs != 2 {
		t.Errorf("work ran %d times, or Start returned work for the snapshot on screen; want 2 and none", runs)
	}
}
