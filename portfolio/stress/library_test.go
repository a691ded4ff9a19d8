package stress

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// TestBuiltinIDsAgree: the IDs package portfolio reserves are the
// library's, in order.
func TestBuiltinIDsAgree(t *testing.T) {
	var ids []string
	for _, s := range Builtins() {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, portfolio.BuiltinScenarioIDs) {
		t.Errorf("library %v, portfolio.BuiltinScenarioIDs %v", ids, portfolio.BuiltinScenarioIDs)
	}
}

// TestBuiltinsAreValid: every built-in scenario passes the checks a
// scenario in the file must pass (but for its reserved ID), says where its
// figures come from, and runs on the demo in every kind of unit.
func TestBuiltinsAreValid(t *testing.T) {
	p := portfolio.Demo(now)
	for _, s := range Builtins() {
		for _, e := range s.Check(p) {
			if e.Key == "id" && strings.Contains(e.Msg, "built-in") {
				continue
			}
			t.Errorf("%s: %v", s.ID, e)
		}
		if s.Source == "" || s.Description == "" {
			t.Errorf("%s: no source or description", s.ID)
		}
		for _, unit := range []portfolio.Unit{"EUR", "USD", portfolio.UnitXAU, portfolio.UnitSat} {
			r := run(t, p, unit, &s)
			if r.Before.IsZero() || len(r.Holdings) != len(p.Holdings) {
				t.Errorf("%s in %s: before %s, %d holdings", s.ID, unit, r.Before, len(r.Holdings))
			}
			for k := 1; k < NCheckpoints; k++ {
				if r.Accessible[k].LessThan(r.Accessible[k-1]) || r.Accessible[k].GreaterThan(r.After) {
					t.Errorf("%s in %s: accessible %v must grow with time and stay within %s", s.ID, unit, r.Accessible, r.After)
				}
			}
		}
	}
}

// TestReplaysBeforeBitcoinSaySo: a replay before 2012 keeps bitcoin at
// its day-0 value in the unit and says so; one after moves it.
func TestReplaysBeforeBitcoinSaySo(t *testing.T) {
	p := portfolio.Demo(now)
	d := history.MustLoad()
	btcFrom, _, _ := d.Coverage(history.BTC)
	for _, s := range Builtins() {
		if !s.Replay() {
			continue
		}
		from, _ := history.ParseMonth(s.From)
		r := run(t, p, "EUR", &s)
		h := byID(r)["btc-ledger"]
		if from < btcFrom {
			said := strings.Join(append(Parameters(&s), r.Notes...), " ")
			if !h.After.Equal(h.Before) || !strings.Contains(said, "No price is invented") || r.Assets[0].Asset != "BTC" || !r.Assets[0].Missing {
				t.Errorf("%s: bitcoin %s -> %s, said %q, assets %+v: want it unchanged and the statement", s.ID, h.Before, h.After, said, r.Assets)
			}
		} else if h.After.Equal(h.Before) {
			t.Errorf("%s: bitcoin did not move over %s to %s", s.ID, s.From, s.To)
		}
	}
}

// TestHomeCurrencyFollowsLira: under the lira replay a German saver's
// euros lose what the lira lost against the dollar, measured in USD; the
// dollar is the unit, so the growth is the lira's USD value ratio.
func TestHomeCurrencyFollowsLira(t *testing.T) {
	p := portfolio.Demo(now)
	s := mustFind(t, p, "lira-2021")
	from := csvValue(t, "fx/try_per_usd_monthly_end_ecb.csv", s.From)
	to := csvValue(t, "fx/try_per_usd_monthly_end_ecb.csv", s.To)
	r := run(t, p, "USD", s)
	h := byID(r)["eur-sparkasse"]
	want := h.Before.Mul(from).Div(to)
	if diff := h.After.Sub(want).Abs(); diff.GreaterThan(decimalHalfCent) {
		t.Errorf("EUR cash %s -> %s, want %s (TRY per USD %s -> %s)", h.Before, h.After, want.Round(4), from, to)
	}
}

func BenchmarkAllBuiltins1000(b *testing.B) {
	p := portfolio.Generate(1000, 1, now)
	d := history.MustLoad()
	lib := Builtins()
	v := portfolio.Valuate(p, "EUR", now)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := RunAll(v, lib, d); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReplaysAgreeWithCrisisWindows: where a built-in replay's window is
// one of the bundled crisis windows, the change it applies to gold,
// equities and bitcoin is the change the window's row records (to its
// 0.1% precision).
func TestReplaysAgreeWithCrisisWindows(t *testing.T) {
	p := custodyPortfolio()
	p.Holdings = append(p.Holdings, portfolio.Holding{ID: "fund", Kind: portfolio.KindOther, Custodian: "broker", Ticker: "VT", Units: decimal.NewFromInt(10)})
	p.Prices = append(p.Prices, price("VT", "100", "EUR"))
	asset := map[string]string{
		"gold/gold_usd_monthly_avg_worldbank.csv":       "XAU",
		"equities/sp500_total_return_index_monthly.csv": "EQUITIES",
		"bitcoin/btc_usd_monthly_close.csv":             "BTC",
	}
	checked := 0
	for _, w := range history.MustLoad().CrisisWindows() {
		a, ok := asset[w.File]
		if !ok {
			continue
		}
		for _, s := range Builtins() {
			if !s.Replay() || s.From != w.Start || s.To != w.End {
				continue
			}
			r := run(t, p, "EUR", &s)
			for _, m := range r.Assets {
				if m.Asset != a {
					continue
				}
				got := m.History.InexactFloat64() * 100
				if math.Abs(got-w.ChangePct) > 0.05+1e-9 {
					t.Errorf("%s: %s %+.2f%%, crisis window %s says %+.1f%%", s.ID, a, got, w.ID, w.ChangePct)
				}
				checked++
			}
		}
	}
	t.Logf("%d asset moves checked", checked)
	if checked < 8 {
		t.Errorf("only %d asset moves checked against the crisis windows", checked)
	}
}
