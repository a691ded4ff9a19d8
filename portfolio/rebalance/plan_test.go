package rebalance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// demo is the demo portfolio with targets of 30% bitcoin, 50% gold and
// 20% cash, a 2 pp / 25% band, and costs at every venue.
func demo(t *testing.T) *portfolio.Portfolio {
	t.Helper()
	p := portfolio.Demo(testNow)
	p.Rebalance.Targets = []portfolio.Target{
		{By: portfolio.ByAssetTarget, Key: "BTC", Weight: d("0.3")},
		{By: portfolio.ByClassTarget, Key: "Gold", Weight: d("0.5")},
		{By: portfolio.ByClassTarget, Key: "Cash", Weight: d("0.2")},
	}
	p.Rebalance.Band = portfolio.Band{Abs: d("0.02"), Rel: d("0.25")}
	p.Rebalance.Costs = portfolio.Costs{FeeRate: d("12"), Commission: d("1"), CommissionCurrency: "USD",
		GoldPremium: d("0.03"), GoldSpread: d("0.02"), FXSpread: d("0.002")}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

func plan(t *testing.T, p *portfolio.Portfolio, opt Options) *Plan {
	t.Helper()
	if opt.Now.IsZero() {
		opt.Now = testNow
	}
	pl, err := NewPlan(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// checkTrades checks what holds for every plan: whole units, no sale of
// more than is held, values at the unit price, the portfolio unchanged,
// and the money balancing: net worth after = before + new cash - costs,
// to within a smallest unit per trade (each trade's value is rounded).
func checkTrades(t *testing.T, p *portfolio.Portfolio, pl *Plan) {
	t.Helper()
	before, _ := portfolio.Encode(p)
	pr := newPricer(p, pl.Unit, pl.AsOf, pl.Settlement)
	for _, tr := range pl.Trades {
		i := p.HoldingIndex(tr.Holding)
		h := &p.Holdings[i]
		if !tr.Quantity.Mod(quantum(h)).IsZero() {
			t.Errorf("%s: %s is not whole %s", tr.Holding, tr.Quantity, unitName(h))
		}
		if tr.Sell() && tr.Quantity.Neg().GreaterThan(h.Quantity()) {
			t.Errorf("%s: sells %s of %s", tr.Holding, tr.Quantity, h.Quantity())
		}
		price, _ := pr.unitPrice(i)
		if want := tr.Quantity.Abs().Mul(price).Round(2); !tr.Value.Equal(want) && !tr.Deposit {
			t.Errorf("%s: value %s, want %s", tr.Holding, tr.Value, want)
		}
	}
	want := pl.Total.Add(pl.NewCash).Sub(pl.Cost)
	slack := decimal.New(int64(len(pl.Trades)+1), -2)
	if pl.TotalAfter.Sub(want).Abs().GreaterThan(slack) {
		t.Errorf("net worth after %s, want %s (before %s + new cash %s - costs %s)", pl.TotalAfter, want, pl.Total, pl.NewCash, pl.Cost)
	}
	after, _ := portfolio.Encode(p)
	if string(before) != string(after) {
		t.Error("planning changed the portfolio")
	}
	// The values after are those of valuing the whole copy.
	va := portfolio.Valuate(pl.After(), pl.Unit, pl.AsOf)
	if !va.Total.Equal(pl.TotalAfter) {
		t.Errorf("net worth after %s, valuing the copy gives %s", pl.TotalAfter, va.Total)
	}
	if err := pl.After().Validate(); err != nil {
		t.Errorf("the portfolio after the plan is invalid: %v", err)
	}
}

func TestDriftAgainstBands(t *testing.T) {
	p := demo(t)
	pl := plan(t, p, Options{})
	v := portfolio.Valuate(p, "EUR", testNow)
	// The groups' values are the valuation's, by class and by asset.
	byClass := map[string]decimal.Decimal{}
	for _, s := range v.Allocation(portfolio.ByClass) {
		byClass[s.Key] = s.Value
	}
	for _, g := range pl.Groups {
		key := g.Target.Key
		if key == "BTC" {
			key = "Bitcoin"
		}
		if !g.Value.Equal(byClass[key]) {
			t.Errorf("%s: value %s, valuation says %s", g.Target.Key, g.Value, byClass[key])
		}
		if want := g.Value.DivRound(v.Total, 12).Sub(g.Target.Weight); !g.Drift.Equal(want) {
			t.Errorf("%s: drift %s, want %s", g.Target.Key, g.Drift, want)
		}
		// 5/25 with 2 pp: min(0.02, 0.25 × target).
		if want := decimal.Min(d("0.02"), d("0.25").Mul(g.Target.Weight)); !g.Width.Equal(want) {
			t.Errorf("%s: band %s, want %s", g.Target.Key, g.Width, want)
		}
		if g.OutOfBand != g.Drift.Abs().GreaterThan(g.Width) {
			t.Errorf("%s: out of band %v with drift %s and band %s", g.Target.Key, g.OutOfBand, g.Drift, g.Width)
		}
	}
	// With 5 pp every demo weight is within its band: nothing to do.
	p.Rebalance.Band = portfolio.Band{Abs: d("0.05")}
	if pl := plan(t, p, Options{}); !pl.InBands || len(pl.Trades) != 0 {
		t.Errorf("within 5 pp bands the plan trades: %+v", pl.Trades)
	}
}

func TestFullRebalanceReachesTargets(t *testing.T) {
	p := demo(t)
	pl := plan(t, p, Options{})
	checkTrades(t, p, pl)
	if pl.InBands || len(pl.Trades) == 0 {
		t.Fatal("the demo is out of its 2 pp bands but the plan has no trades")
	}
	for _, g := range pl.Groups {
		// Whole shares and coins leave at most a few hundred euros off
		// target, far inside the band.
		if g.DriftAfter.Abs().GreaterThan(d("0.002")) {
			t.Errorf("%s: %s%% after, target %s%%", g.Target.Key, g.WeightAfter.Shift(2).StringFixed(2), g.Target.Weight.Shift(2))
		}
	}
	// The plan's cost is the sum of its trades', and each cost follows
	// the venue's rule.
	sum := decimal.Zero
	for _, tr := range pl.Trades {
		sum = sum.Add(tr.Cost)
		h := &p.Holdings[p.HoldingIndex(tr.Holding)]
		switch h.Kind {
		case portfolio.KindBTC:
			// 12 sat/vB × 141 vB = 1,692 sat at 81,250 USD/BTC × 0.865.
			if tr.Wallet == nil || tr.Wallet.FeeSats != 1692 || tr.Wallet.Out != tr.Sell() || tr.Wallet.Custodian != "Ledger Nano S Plus" {
				t.Errorf("bitcoin leg %+v", tr.Wallet)
			}
			want := d("0.00001692").Mul(d("81250")).Mul(d("0.8650")).Round(2)
			if !tr.Cost.Equal(want) {
				t.Errorf("on-chain fee %s, want %s", tr.Cost, want)
			}
		case portfolio.KindETF:
			// 1 USD commission (0.865 EUR, to the cent) plus 0.2% FX (the
			// ETFs trade in USD, the plan settles in EUR).
			want := d("0.87").Add(tr.Value.Mul(d("0.002"))).Round(2)
			if !tr.Cost.Equal(want) {
				t.Errorf("%s cost %s, want %s", tr.Holding, tr.Cost, want)
			}
		case portfolio.KindCash:
			if h.Currency == "EUR" && !tr.Cost.IsZero() {
				t.Errorf("EUR cash in a EUR plan costs %s", tr.Cost)
			}
		}
	}
	if !sum.Equal(pl.Cost) {
		t.Errorf("plan cost %s, trades sum to %s", pl.Cost, sum)
	}
}

func TestConstraints(t *testing.T) {
	p := demo(t)
	t.Run("never sell", func(t *testing.T) {
		pl := plan(t, p, Options{NeverSell: []string{"Cash"}})
		checkTrades(t, p, pl)
		for _, tr := range pl.Trades {
			if tr.Kind == portfolio.KindCash && tr.Sell() {
				t.Errorf("sold cash %s though cash is never sold", tr.Holding)
			}
		}
		for _, g := range pl.Groups {
			// The costs are paid from cash, and nothing else is.
			if g.Target.Key == "Cash" && (!g.NeverSell || g.ValueAfter.LessThan(g.Value.Sub(pl.Cost))) {
				t.Errorf("cash %s -> %s", g.Value, g.ValueAfter)
			}
		}
	})
	t.Run("never sell from the file", func(t *testing.T) {
		q := p.Clone()
		q.Rebalance.NeverSell = []string{"gld", "iau"}
		pl := plan(t, q, Options{})
		checkTrades(t, q, pl)
		for _, tr := range pl.Trades {
			if tr.Sell() && (tr.Holding == "gld" || tr.Holding == "iau") {
				t.Errorf("sold %s", tr.Holding)
			}
		}
	})
	t.Run("buy only with new cash", func(t *testing.T) {
		pl := plan(t, p, Options{Cash: d("10000"), CashCurrency: "EUR", BuyOnly: true})
		checkTrades(t, p, pl)
		bought, spent := decimal.Zero, decimal.Zero
		for _, tr := range pl.Trades {
			switch {
			case tr.Deposit:
				if tr.Holding != "eur-sparkasse" || !tr.Quantity.Equal(d("10000")) {
					t.Errorf("deposit %+v", tr)
				}
			case tr.Sell() && tr.Kind != portfolio.KindCash:
				t.Errorf("buy-only plan sells %s", tr.Holding)
			case tr.Sell():
				spent = spent.Add(tr.Value)
			default:
				bought = bought.Add(tr.Value)
			}
		}
		if spent.GreaterThan(d("10000")) || bought.GreaterThan(d("10000")) {
			t.Errorf("buy only with 10,000 EUR spends %s and buys %s", spent, bought)
		}
		// The cash goes to what is under target: bitcoin, at 25% of 30%.
		for _, g := range pl.Groups {
			if g.Target.Key == "BTC" && !g.ValueAfter.GreaterThan(g.Value) {
				t.Errorf("bitcoin not bought: %s -> %s", g.Value, g.ValueAfter)
			}
			if g.Target.Key != "BTC" && g.ValueAfter.LessThan(g.Value.Sub(pl.Cost)) {
				t.Errorf("%s fell %s -> %s in a buy-only plan", g.Target.Key, g.Value, g.ValueAfter)
			}
		}
	})
}

func TestGainsFIFOAndHIFO(t *testing.T) {
	p := demo(t)
	// Three lots of GLD shares, in EUR: FIFO sells the 2019 lot first,
	// HIFO the dearest per share (2024 at 300 EUR).
	i := p.HoldingIndex("gld")
	day := func(y int) time.Time { return time.Date(y, 1, 10, 0, 0, 0, 0, time.UTC) }
	p.Holdings[i].Lots = []portfolio.Lot{
		{Date: day(2022), Quantity: d("10"), Cost: d("1700"), CostCurrency: "EUR"},
		{Date: day(2019), Quantity: d("20"), Cost: d("2400"), CostCurrency: "EUR"},
		{Date: day(2024), Quantity: d("10"), Cost: d("3000"), CostCurrency: "EUR"},
	}
	pr := newPricer(p, "EUR", testNow, "EUR")
	tr := pr.newTrade(i, -1, d("-25"), false)
	price, _ := pr.unitPrice(i)
	proceeds := price.Mul(d("25")).Round(2)
	if !tr.Value.Equal(proceeds) {
		t.Fatalf("proceeds %s, want %s", tr.Value, proceeds)
	}
	g := tr.Gains
	// FIFO: 20 from 2019 (2,400) and 5 of 2022 (850).
	if want := proceeds.Sub(d("3250")); !g.FIFO.Gain.Equal(want) || len(g.FIFO.Sales) != 2 || !g.FIFO.Sales[1].Quantity.Equal(d("5")) {
		t.Errorf("FIFO %s %+v, want gain %s", g.FIFO.Gain, g.FIFO.Sales, want)
	}
	// HIFO: 10 of 2024 (3,000), 10 of 2022 (1,700), 5 of 2019 (600).
	if want := proceeds.Sub(d("5300")); !g.HIFO.Gain.Equal(want) || len(g.HIFO.Sales) != 3 || !g.HIFO.Sales[0].Date.Equal(day(2024)) {
		t.Errorf("HIFO %s %+v, want gain %s", g.HIFO.Gain, g.HIFO.Sales, want)
	}
	// Selling all 40 and more than the lots hold leaves no basis for the
	// rest.
	p.Holdings[i].Lots = p.Holdings[i].Lots[:2]
	tr = pr.newTrade(i, -1, d("-40"), false)
	if !tr.Gains.FIFO.NoBasis.Equal(d("10")) || !tr.Gains.HIFO.NoBasis.Equal(d("10")) {
		t.Errorf("no basis %s / %s, want 10", tr.Gains.FIFO.NoBasis, tr.Gains.HIFO.NoBasis)
	}
}

func TestMinimumTrade(t *testing.T) {
	p := demo(t)
	p.Rebalance.MinTrade, p.Rebalance.MinTradeCurrency = d("100000"), "EUR"
	pl := plan(t, p, Options{})
	if len(pl.Trades) != 0 || len(pl.Notes) == 0 || !strings.Contains(pl.Notes[0], "below the minimum trade of 100,000.00 EUR") {
		t.Errorf("trades %d, notes %q", len(pl.Trades), pl.Notes)
	}
}

func TestPlanErrors(t *testing.T) {
	p := demo(t)
	q := p.Clone()
	q.Rebalance.Targets = nil
	if _, err := NewPlan(q, Options{Now: testNow}); !errors.Is(err, ErrNoTargets) {
		t.Errorf("no targets: %v", err)
	}
	q = p.Clone()
	q.Rebalance.Targets = q.Rebalance.Targets[:2]
	q.Rebalance.Targets[1].Weight = d("0.7")
	var ue *UnmatchedError
	if _, err := NewPlan(q, Options{Now: testNow}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "chf-ubs, eur-sparkasse, usd-ubs") {
		t.Errorf("cash without a target: %v", err)
	}
	q = p.Clone()
	q.Prices = q.Prices[:1] // BTC only: no gold price
	var pe *UnpricedError
	if _, err := NewPlan(q, Options{Now: testNow}); !errors.As(err, &pe) || !strings.Contains(err.Error(), "has no price in EUR") {
		t.Errorf("unpriced gold: %v", err)
	}
	if _, err := NewPlan(p, Options{Now: testNow, Cash: d("1000"), CashCurrency: "GBP"}); err == nil || !strings.Contains(err.Error(), "GBP") {
		t.Errorf("cash in a currency without a rate: %v", err)
	}
	q = p.Clone()
	q.FX = append(q.FX, portfolio.FXRate{Base: "GBP", Quote: "EUR", Rate: d("1.15"), Time: testNow})
	if _, err := NewPlan(q, Options{Now: testNow, Cash: d("1000"), CashCurrency: "GBP"}); err == nil || !strings.Contains(err.Error(), "no GBP cash holding") {
		t.Errorf("cash with nowhere to go: %v", err)
	}
}

// TestNoCashTarget: with bitcoin and gold only, sales pay for purchases
// directly, and the largest purchase shrinks so that no money appears.
func TestNoCashTarget(t *testing.T) {
	p := demo(t)
	var kept []portfolio.Holding
	for _, h := range p.Holdings {
		if h.Kind != portfolio.KindCash {
			kept = append(kept, h)
		}
	}
	p.Holdings = kept
	p.Rebalance.Targets = []portfolio.Target{
		{By: portfolio.ByAssetTarget, Key: "BTC", Weight: d("0.5")},
		{By: portfolio.ByClassTarget, Key: "Gold", Weight: d("0.5")},
	}
	for _, unit := range []portfolio.Unit{"EUR", "USD", "XAU", portfolio.UnitSat} {
		pl := plan(t, p, Options{Unit: unit})
		if len(pl.Trades) == 0 {
			t.Fatalf("%s: no trades", unit)
		}
		bought, sold := decimal.Zero, decimal.Zero
		for _, tr := range pl.Trades {
			if tr.Sell() {
				sold = sold.Add(tr.Value)
			} else {
				bought = bought.Add(tr.Value)
			}
		}
		if bought.GreaterThan(sold) {
			t.Errorf("%s: buys %s with sales of %s", unit, bought, sold)
		}
		for _, g := range pl.Groups {
			if g.DriftAfter.Abs().GreaterThan(d("0.01")) {
				t.Errorf("%s: %s drifts %s after", unit, g.Target.Key, g.DriftAfter)
			}
		}
	}
}

// TestBitcoinLegs: selling bitcoin takes the exchange's first (no
// on-chain fee), then sends from the hardware wallet, naming the
// watch-only wallet linked to the holding and the fee.
func TestBitcoinLegs(t *testing.T) {
	p := demo(t)
	p.Rebalance.NeverSell = nil
	p.Rebalance.Targets[0].Weight, p.Rebalance.Targets[1].Weight = d("0.05"), d("0.75")
	i := p.HoldingIndex("btc-ledger")
	p.Holdings[i].Wallet = "cold"
	p.Wallets = append(p.Wallets, portfolio.WalletConfig{ID: "cold", Name: "Cold storage"})
	pl := plan(t, p, Options{})
	var order []string
	for _, tr := range pl.Trades {
		if tr.Kind != portfolio.KindBTC {
			continue
		}
		order = append(order, tr.Holding)
		if !tr.Sell() {
			t.Errorf("bitcoin over target is bought: %+v", tr)
		}
		switch tr.Holding {
		case "btc-kraken":
			if tr.Wallet != nil || !tr.Cost.IsZero() {
				t.Errorf("the exchange's sale has an on-chain leg %+v", tr.Wallet)
			}
			// The whole exchange balance goes first.
			if !tr.Quantity.Neg().Equal(p.Holdings[p.HoldingIndex("btc-kraken")].Quantity()) {
				t.Errorf("exchange sale %s", tr.Quantity)
			}
		case "btc-ledger":
			l := tr.Wallet
			if l == nil || !l.Out || l.Wallet != "Cold storage" || l.FeeSats != 12*portfolio.DefaultTxVBytes {
				t.Fatalf("hardware wallet leg %+v", l)
			}
			if s := l.String(); s != "send from Ledger Nano S Plus (wallet Cold storage), fee ≈ 1,692 sat (12 sat/vB × 141 vB)" {
				t.Errorf("leg %q", s)
			}
		}
	}
	if strings.Join(order, " ") != "btc-kraken btc-ledger" {
		t.Errorf("bitcoin sold from %v, want the exchange first", order)
	}
}

// TestNeverSellOneHolding: never selling the Ledger's bitcoin still lets
// the plan sell the exchange's, and the target keeps at least the
// Ledger's value.
func TestNeverSellOneHolding(t *testing.T) {
	p := demo(t)
	p.Rebalance.NeverSell = []string{"btc-ledger"}
	p.Rebalance.Targets[0].Weight, p.Rebalance.Targets[1].Weight = d("0.05"), d("0.75")
	pl := plan(t, p, Options{})
	checkTrades(t, p, pl)
	sold := false
	for _, tr := range pl.Trades {
		if tr.Holding == "btc-ledger" {
			t.Errorf("sold the Ledger's bitcoin: %+v", tr)
		}
		sold = sold || tr.Holding == "btc-kraken" && tr.Sell()
	}
	g := pl.Groups[0]
	ledger := portfolio.Valuate(p, "EUR", testNow).Lines[p.HoldingIndex("btc-ledger")].Value
	if !sold || g.NeverSell || !g.Kept.Equal(ledger) || g.ValueAfter.LessThan(ledger) || g.Status() != "OUT OF BAND, partly never sold" {
		t.Errorf("exchange sold %v; group %+v, status %q", sold, g, g.Status())
	}
}

// TestToBand: with ToBand a target out of its band ends at the nearest
// edge of the band, what that leaves over goes to targets on the side of
// their target that takes it without crossing it, and the plan trades
// less than the full one.
func TestToBand(t *testing.T) {
	p := demo(t)
	full := plan(t, p, Options{})
	pl := plan(t, p, Options{ToBand: true})
	checkTrades(t, p, pl)
	if len(pl.Trades) == 0 {
		t.Fatal("no trades")
	}
	out := 0
	for _, g := range pl.Groups {
		if g.OutOfBand {
			out++
		}
		// Every target ends within its band (to rounding: whole shares
		// and coins), and none crosses its target by more than rounding:
		// out-of-band ones stop at the edge unless what is left over
		// brings them further.
		if g.DriftAfter.Abs().GreaterThan(g.Width.Add(d("0.002"))) {
			t.Errorf("%s: drift %s after, band ±%s", g.Target.Key, Points(g.DriftAfter), g.Width)
		}
		if g.Drift.Sign()*g.DriftAfter.Sign() < 0 && g.DriftAfter.Abs().GreaterThan(d("0.002")) {
			t.Errorf("%s: crossed its target: drift %s before, %s after", g.Target.Key, Points(g.Drift), Points(g.DriftAfter))
		}
		if g.OutOfBand && g.DriftAfter.Abs().LessThan(d("0.005")) {
			t.Errorf("%s: brought to its target (drift %s), not to its band", g.Target.Key, Points(g.DriftAfter))
		}
	}
	if out == 0 {
		t.Fatal("the demo has no target out of its band")
	}
	if n := pl.WhatIf(p).Note; n != "plan, to the band edge" {
		t.Errorf("what-if note %q", n)
	}
	traded := func(pl *Plan) decimal.Decimal {
		s := decimal.Zero
		for _, tr := range pl.Trades {
			s = s.Add(tr.Value.Abs())
		}
		return s
	}
	if !traded(pl).LessThan(traded(full)) || !pl.Cost.LessThan(full.Cost) {
		t.Errorf("to the band edge trades %s for %s, fully %s for %s", traded(pl), pl.Cost, traded(full), full.Cost)
	}
}

// TestBandWantsByHand: three targets 50/30/20 with 2 pp bands, 60/25/15
// of 100. A goes to 52, B and C to their lower edges 28 and 18; the 2
// left over goes to B and C by their distance from target (2 each): 29
// and 19.
func TestBandWantsByHand(t *testing.T) {
	gs := []Group{
		{Target: portfolio.Target{Weight: d("0.5")}, Width: d("0.02")},
		{Target: portfolio.Target{Weight: d("0.3")}, Width: d("0.02")},
		{Target: portfolio.Target{Weight: d("0.2")}, Width: d("0.02")},
	}
	zero := []decimal.Decimal{decimal.Zero, decimal.Zero, decimal.Zero}
	got := bandWants(d("100"), gs, []decimal.Decimal{d("60"), d("25"), d("15")}, zero)
	for i, w := range []string{"52", "29", "19"} {
		if !got[i].Equal(d(w)) {
			t.Errorf("target %d wants %s, want %s", i, got[i], w)
		}
	}
	// 56/22/22: A goes to 52 and B to 28, C is at its edge and keeps
	// 22; the 2 short comes from A and C, 2 above target each: 51, 21.
	got = bandWants(d("100"), gs, []decimal.Decimal{d("56"), d("22"), d("22")}, zero)
	for i, w := range []string{"51", "28", "21"} {
		if !got[i].Equal(d(w)) {
			t.Errorf("56/22/22: target %d wants %s, want %s", i, got[i], w)
		}
	}
	// Never selling A (a floor of 60) leaves nothing to buy B and C
	// with: they keep what they have.
	got = bandWants(d("100"), gs, []decimal.Decimal{d("60"), d("25"), d("15")}, []decimal.Decimal{d("60"), decimal.Zero, decimal.Zero})
	for i, w := range []string{"60", "25", "15"} {
		if !got[i].Equal(d(w)) {
			t.Errorf("A never sold: target %d wants %s, want %s", i, got[i], w)
		}
	}
}
