package rebalance

import (
	"math"
	"testing"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestReplayByHand(t *testing.T) {
	// Two assets over four months: one doubles then halves, the other
	// is flat; 60/40.
	r := [][]float64{{1, -0.5, 1, -0.5}, {0, 0, 0, 0}}
	w := []float64{0.6, 0.4}
	res := Replay(r, w, CalendarPolicies, BacktestCosts{})
	// None: the first asset ends where it started, so the portfolio too.
	if !near(res[0].Final, 1) || res[0].Trades != 0 {
		t.Errorf("none: %+v", res[0])
	}
	// Monthly: each month returns w·r, compounded.
	want := 1.0
	for m := 0; m < 4; m++ {
		want *= 1 + w[0]*r[0][m] + w[1]*r[1][m]
	}
	if !near(res[1].Final, want) || res[1].Rebalances != 3 || res[1].Trades != 6 {
		t.Errorf("monthly: %+v, want final %v after 3 rebalancings of 2 legs", res[1], want)
	}
	if !near(res[1].CAGR, math.Pow(want, 3)-1) {
		t.Errorf("monthly CAGR %v, want %v", res[1].CAGR, math.Pow(want, 3)-1)
	}
	// Quarterly: rebalanced once, at the end of month 3: the drift of
	// months 1-3 (asset 1 ×2 ×0.5 ×2 = ×2) then month 4 at 60/40.
	v3 := 0.6*2 + 0.4
	if want := v3 * (1 + 0.6*-0.5); !near(res[2].Final, want) || res[2].Rebalances != 1 {
		t.Errorf("quarterly: %+v, want %v", res[2], want)
	}
	// The worst fall of monthly: from month 1's high (1.6) to month 2.
	if want := (1.6*(1-0.3))/1.6 - 1; !near(res[1].MaxDrawdown, want) {
		t.Errorf("monthly drawdown %v, want %v", res[1].MaxDrawdown, want)
	}
}

func TestReplayCosts(t *testing.T) {
	r := [][]float64{{1, 0}, {0, 0}}
	w := []float64{0.5, 0.5}
	// After month 1: 1.0 and 0.5, value 1.5; rebalancing trades 0.25 of
	// each: at 1% that is 0.005, plus a fixed 0.001 for the first asset.
	res := Replay(r, w, CalendarPolicies[1:2], BacktestCosts{Rate: []float64{0.01, 0.01}, Fixed: []float64{0.001, 0}})
	if want := 0.005 + 0.001; !near(res[0].Cost, want) || !near(res[0].Final, 1.5-want) {
		t.Errorf("cost %v final %v, want %v and %v", res[0].Cost, res[0].Final, want, 1.5-want)
	}
}

func TestReplayBands(t *testing.T) {
	// ±1% a month never moves a 50/50 mix 5 points off: no trade.
	T := 120
	r := [][]float64{make([]float64, T), make([]float64, T)}
	for m := 0; m < T; m++ {
		r[0][m] = 0.01 * float64(1-2*(m%2))
	}
	pol := Policies(portfolio.Band{})[4]
	if res := Replay(r, []float64{0.5, 0.5}, []Policy{pol}, BacktestCosts{}); res[0].Trades != 0 {
		t.Errorf("bands traded %d times on small moves", res[0].Trades)
	}
	// A 50% jump takes the first asset to 60%: out of a 5 pp band.
	r[0][10] = 0.5
	if res := Replay(r, []float64{0.5, 0.5}, []Policy{pol}, BacktestCosts{}); res[0].Rebalances != 1 {
		t.Errorf("bands rebalanced %d times after one jump", res[0].Rebalances)
	}
}

func TestBacktestMatchesTheAnalysis(t *testing.T) {
	p := demo(t)
	p.Rebalance.Costs = portfolio.Costs{}
	d := history.MustLoad()
	v := portfolio.Valuate(p, "EUR", testNow)
	b, err := NewBacktest(v, d, BacktestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, w := range b.Weights {
		sum += w
	}
	if !b.FromTargets || !near(sum, 1) || len(b.Results) != 5 {
		t.Fatalf("weights %v (sum %v), %d results", b.Weights, sum, len(b.Results))
	}
	// Rebalanced monthly without costs, the replay is the analysis's
	// replay of the same weights.
	pos := make([]analysis.Position, len(b.Assets))
	for i, a := range b.Assets {
		pos[i] = analysis.Position{Holding: string(a), Asset: a, Weight: b.Weights[i]}
	}
	risk, err := analysis.RiskOf(pos, b.Unit, d)
	if err != nil {
		t.Fatal(err)
	}
	m := b.Results[1]
	if math.Abs(m.CAGR-risk.AnnualReturn) > 1e-9 || math.Abs(m.MaxDrawdown-risk.MaxDrawdown.Depth) > 1e-9 || math.Abs(m.Volatility-risk.Volatility) > 1e-9 {
		t.Errorf("monthly %+v; analysis: return %v, drawdown %v, volatility %v", m, risk.AnnualReturn, risk.MaxDrawdown.Depth, risk.Volatility)
	}
	if b.From != risk.From || b.Months != risk.Months {
		t.Errorf("window %s..%s (%d), analysis %s (%d)", b.From, b.To, b.Months, risk.From, risk.Months)
	}
	// With the demo's costs every policy that trades pays something;
	// none trades nothing.
	v = portfolio.Valuate(demo(t), "EUR", testNow)
	b, err = NewBacktest(v, d, BacktestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range b.Results[1:] {
		if r.Trades > 0 && r.Cost <= 0 {
			t.Errorf("%s: %d trades cost nothing", r.Policy.Name, r.Trades)
		}
	}
	if n := b.Results[0]; n.Trades != 0 || n.Cost != 0 {
		t.Errorf("none: %+v", n)
	}
}
