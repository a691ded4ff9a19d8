package rebalance

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
)

func quantityOf(p *portfolio.Portfolio, id string) decimal.Decimal {
	i := p.HoldingIndex(id)
	if i < 0 {
		return decimal.Zero
	}
	return p.Holdings[i].Quantity()
}

func TestMoveFromGLDToBTC(t *testing.T) {
	p := demo(t)
	orig, _ := portfolio.Encode(p)
	w, err := NewWhatIf(p, "move 2% from GLD to BTC", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	v := portfolio.Valuate(p, "EUR", testNow)
	five := v.Total.Mul(d("0.02")).Round(2)
	pr := newPricer(p, "EUR", testNow, "EUR")
	gldPrice, _ := pr.unitPrice(p.HoldingIndex("gld"))
	// 2% of net worth, in whole GLD shares rounded down, all into the
	// largest bitcoin holding.
	wantShares := five.Div(gldPrice).Floor()
	if got := quantityOf(p, "gld").Sub(quantityOf(w.After, "gld")); !got.Equal(wantShares) {
		t.Errorf("sold %s GLD, want %s", got, wantShares)
	}
	soldValue := wantShares.Mul(gldPrice).Round(2)
	btcPrice, _ := pr.unitPrice(p.HoldingIndex("btc-ledger"))
	wantBTC := soldValue.Div(btcPrice).Round(8)
	if got := quantityOf(w.After, "btc-ledger").Sub(quantityOf(p, "btc-ledger")); !got.Equal(wantBTC) {
		t.Errorf("bought %s BTC, want %s", got, wantBTC)
	}
	if !quantityOf(w.After, "btc-kraken").Equal(quantityOf(p, "btc-kraken")) {
		t.Error("the exchange's bitcoin changed")
	}
	// Net worth falls by the costs, paid from the EUR account.
	va := portfolio.Valuate(w.After, "EUR", testNow)
	if diff := v.Total.Sub(va.Total).Sub(w.Cost).Abs(); diff.GreaterThan(d("0.02")) {
		t.Errorf("net worth %s -> %s with costs %s", v.Total, va.Total, w.Cost)
	}
	if now, _ := portfolio.Encode(p); string(now) != string(orig) {
		t.Error("the what-if changed the real portfolio")
	}
	// The comparison analyses both sides: before is today's analysis.
	c := Compare(w, history.MustLoad())
	today := analysis.Analyze(v, history.MustLoad())
	if c.Before.Risk.Volatility != today.Risk.Volatility || c.After.Risk == nil {
		t.Fatal("before is not today's analysis")
	}
	if c.After.Risk.Volatility <= c.Before.Risk.Volatility {
		t.Errorf("moving gold to bitcoin lowered volatility: %.4f -> %.4f", c.Before.Risk.Volatility, c.After.Risk.Volatility)
	}
	for _, tw := range c.Targets {
		if tw.Target.Key == "BTC" && !tw.After.GreaterThan(tw.Before) {
			t.Errorf("bitcoin weight %s -> %s", tw.Before, tw.After)
		}
	}
	// Every scenario of the library runs on both sides, each side the
	// stress package's own result for that portfolio.
	lib := stress.Library(p)
	if c.StressErr != nil || len(c.Stress) != len(lib) {
		t.Fatalf("%d stress rows of %d scenarios: %v", len(c.Stress), len(lib), c.StressErr)
	}
	for i, row := range c.Stress {
		want, err := stress.Run(portfolio.Valuate(w.After, "EUR", testNow), &lib[i], history.MustLoad())
		if err != nil {
			t.Fatal(err)
		}
		if row.Scenario.ID != lib[i].ID || !row.After.After.Equal(want.After) || !row.Before.Before.Equal(v.Total) {
			t.Errorf("%s: after %s, the stress package gives %s", lib[i].ID, row.After.After, want.After)
		}
	}
}

func TestSellTheVaultBar(t *testing.T) {
	p := demo(t)
	w, err := NewWhatIf(p, "sell the vault bar", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if w.After.HoldingIndex("vault-bar") >= 0 {
		t.Fatal("the bar is still held")
	}
	v := portfolio.Valuate(p, "EUR", testNow)
	bar := v.Lines[p.HoldingIndex("vault-bar")].Value
	// The proceeds go to the EUR account, less the dealer's 2% spread.
	want := quantityOf(p, "eur-sparkasse").Add(bar).Sub(bar.Mul(d("0.02")).Round(2))
	if got := quantityOf(w.After, "eur-sparkasse"); !got.Equal(want) {
		t.Errorf("EUR account %s, want %s", got, want)
	}
	// The sale realises the bar's gain: one lot of 52,800 EUR.
	sale := w.Trades[0]
	if sale.Gains == nil || !sale.Gains.FIFO.Gain.Equal(bar.Sub(d("52800"))) {
		t.Errorf("gains %+v, want %s", sale.Gains, bar.Sub(d("52800")))
	}
}

func TestWhatIfErrors(t *testing.T) {
	p := demo(t)
	p.Holdings = append(p.Holdings, portfolio.Holding{ID: "vt", Kind: portfolio.KindOther, Ticker: "VT", Units: d("12"), Custodian: "ibkr"})
	p.Rebalance.Targets = nil
	for _, tc := range []struct {
		text string
		as   any
		want string
	}{
		{"sell gld 50", new(*OversellError), `gld (SPDR Gold Shares): the what-if sells 50 sh GLD but only 40 sh GLD is held`},
		{"sell gld 100000 EUR", new(*OversellError), `gld: the what-if sells 100,000.00 EUR but only 13,220.66 EUR is held`},
		{"buy BTC 500000 EUR", new(*OversellError), `the what-if sells 500,000.00 EUR but only 82,074.00 EUR is held`},
		{"sell vt", new(*UnpricedError), `holding "vt" (VT) has no price in EUR`},
		{"move 1% from vt to BTC", new(*UnpricedError), `holding "vt" (VT) has no price in EUR`},
		{"sell the moon rock", new(*TradeSyntaxError), `no holding matches "moon rock"`},
		{"hold gld", new(*TradeSyntaxError), `unknown action "hold"`},
		{"sell BTC 0.1", new(*TradeSyntaxError), `a quantity needs one holding, and this names btc-ledger, btc-kraken`},
		{"buy krugerrands 1.5", new(*TradeSyntaxError), `1.5 is not a whole number of pieces`},
		{"move 5% to BTC", new(*TradeSyntaxError), `want move`},
	} {
		_, err := NewWhatIf(p, tc.text, "", testNow)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
			continue
		}
		switch as := tc.as.(type) {
		case **OversellError:
			if !errors.As(err, as) {
				t.Errorf("%q: %T", tc.text, err)
			}
		case **UnpricedError:
			if !errors.As(err, as) {
				t.Errorf("%q: %T", tc.text, err)
			}
		case **TradeSyntaxError:
			if !errors.As(err, as) {
				t.Errorf("%q: %T", tc.text, err)
			}
		}
	}
	if _, err := Apply(p, []portfolio.WhatIfTrade{{Holding: "nope", Quantity: d("1")}}, testNow); err == nil || !strings.Contains(err.Error(), `no holding "nope"`) {
		t.Errorf("unknown holding: %v", err)
	}
}

func TestSavedWhatIfReplays(t *testing.T) {
	p := demo(t)
	w, err := NewWhatIf(p, "move 5000 EUR from Gold to BTC; sell 2 krugerrands", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	saved := w.Saved("less gold")
	q := p.Clone()
	q.Rebalance.WhatIfs = append(q.Rebalance.WhatIfs, saved)
	data, err := portfolio.Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	r, err := portfolio.Decode("p.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load(r, *r.Rebalance.WhatIf("LESS GOLD"), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := portfolio.Encode(w.After)
	b, _ := portfolio.Encode(again.After)
	// The replay's portfolio also carries the saved what-if; compare the
	// holdings.
	if !strings.Contains(string(b), string(a[strings.Index(string(a), "[[holding]]"):strings.Index(string(a), "[[price]]")])) {
		t.Error("the saved what-if does not replay to the same holdings")
	}
	if !again.Cost.Equal(w.Cost) {
		t.Errorf("cost %s, replayed %s", w.Cost, again.Cost)
	}
}

func TestPlanAsWhatIf(t *testing.T) {
	p := demo(t)
	pl := plan(t, p, Options{})
	w := pl.WhatIf(p)
	again, err := Load(p, w.Saved("plan"), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := portfolio.Encode(pl.After())
	b, _ := portfolio.Encode(again.After)
	if string(a) != string(b) {
		t.Error("the saved plan does not replay to the plan's portfolio")
	}
}

func TestTargetLine(t *testing.T) {
	ts, b, err := ParseTargetLine("bitcoin=30 Gold=45% GLD=5 cash=20 band=5/25")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 4 || ts[0].Key != "Bitcoin" || ts[0].By != portfolio.ByClassTarget || ts[2].By != portfolio.ByAssetTarget || !ts[1].Weight.Equal(d("0.45")) {
		t.Errorf("targets %+v", ts)
	}
	if !b.Abs.Equal(d("0.05")) || !b.Rel.Equal(d("0.25")) {
		t.Errorf("band %+v", b)
	}
	if got := FormatTargets(ts, b); got != "Bitcoin=30 Gold=45 GLD=5 Cash=20 band=5/25" {
		t.Errorf("formatted %q", got)
	}
	if _, _, err := ParseTargetLine("Bitcoin=30 Gold=45 Cash=20"); err == nil || !strings.Contains(err.Error(), "5% short") {
		t.Errorf("short: %v", err)
	}
}

// Each way of making a what-if keeps its valuation of the portfolio
// before, so Compare and Saved do not value it again; the kept one is
// what valuing afresh gives, and one that no longer fits the fields is
// not used.
func TestWhatIfKeepsValuationBefore(t *testing.T) {
	p := demo(t)
	typed, err := NewWhatIf(p, "move 2% from GLD to BTC", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(p, typed.Saved("typed"), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	fresh := portfolio.Valuate(p, p.DefaultUnit(), testNow)
	for name, w := range map[string]*WhatIf{"typed": typed, "loaded": loaded, "plan": plan(t, p, Options{}).WhatIf(p)} {
		v := w.valuationBefore()
		if w.before == nil || v != w.before {
			t.Errorf("%s: the valuation before is made again", name)
			continue
		}
		if !v.Total.Equal(fresh.Total) || len(v.Lines) != len(fresh.Lines) {
			t.Fatalf("%s: kept total %s over %d lines, afresh %s over %d", name, v.Total, len(v.Lines), fresh.Total, len(fresh.Lines))
		}
		for i := range v.Lines {
			if !v.Lines[i].Value.Equal(fresh.Lines[i].Value) {
				t.Errorf("%s: line %d kept %s, afresh %s", name, i, v.Lines[i].Value, fresh.Lines[i].Value)
			}
		}
		if c := Compare(w, history.MustLoad()); c.Before.Valuation != v {
			t.Errorf("%s: Compare valued the portfolio before again", name)
		}
	}
	other := *typed
	other.Unit = "USD"
	if v := other.valuationBefore(); v == typed.before || v.Unit != "USD" {
		t.Errorf("a what-if in USD used the EUR valuation (unit %s)", v.Unit)
	}
	if p.DefaultUnit() == "USD" {
		t.Fatal("the demo's unit is USD: the last check proves nothing")
	}
}

// A what-if priced in sats saves its costs in the settlement currency:
// the same as the what-if priced in EUR saves, to within the sat its cost
// was rounded to.
func TestSavedCostsFromSats(t *testing.T) {
	p := demo(t)
	const trades = "sell 2 krugerrands; sell the vault bar"
	inEUR, err := NewWhatIf(p, trades, "EUR", testNow)
	if err != nil {
		t.Fatal(err)
	}
	inSats, err := NewWhatIf(p, trades, portfolio.UnitSat, testNow)
	if err != nil {
		t.Fatal(err)
	}
	sat, ok := portfolio.NewConverter(p, "EUR").Value(string(portfolio.UnitBTC), decimal.New(1, -8))
	if !ok {
		t.Fatal("no BTC price in EUR")
	}
	a, b := inEUR.Saved("eur").Trades, inSats.Saved("sats").Trades
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d trades in EUR, %d in sats", len(a), len(b))
	}
	costed := 0
	for i := range a {
		if a[i].Cost.Sign() > 0 {
			costed++
		}
		if a[i].Holding != b[i].Holding || a[i].CostCurrency != b[i].CostCurrency || a[i].Cost.Sub(b[i].Cost).Abs().GreaterThan(sat) {
			t.Errorf("trade %d: in EUR %s costs %s %s, in sats %s costs %s %s", i, a[i].Holding, a[i].Cost, a[i].CostCurrency, b[i].Holding, b[i].Cost, b[i].CostCurrency)
		}
	}
	if costed == 0 {
		t.Fatal("no trade has a cost: the check proves nothing")
	}
}
