package rebalance

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Policy is a rule for when to rebalance a replayed portfolio: every
// Every months (0 never), or whenever a weight leaves its band.
type Policy struct {
	Name  string
	Every int
	Bands bool
	Band  portfolio.Band // for Bands
}

// CalendarPolicies are the policies every backtest runs: none, monthly,
// quarterly and yearly; Policies adds the bands.
var CalendarPolicies = []Policy{
	{Name: "none"},
	{Name: "monthly", Every: 1},
	{Name: "quarterly", Every: 3},
	{Name: "yearly", Every: 12},
}

// DefaultBand is the bands policy's band when the portfolio sets none:
// the 5/25 rule.
var DefaultBand = portfolio.Band{Abs: decimal.New(5, -2), Rel: decimal.New(25, -2)}

// Policies are the calendar policies and the bands policy with band b
// (DefaultBand when zero).
func Policies(b portfolio.Band) []Policy {
	if b.IsZero() {
		b = DefaultBand
	}
	return append(append([]Policy(nil), CalendarPolicies...), Policy{Name: "bands " + b.String(), Bands: true, Band: b})
}

// BacktestCosts are the costs of rebalancing the replay: Rate[i] is the
// share of the amount traded of asset i lost, and Fixed[i] a fixed cost
// per trade of asset i, as a multiple of the starting value.
type BacktestCosts struct {
	Rate, Fixed []float64
}

// PolicyResult is one policy's replay.
type PolicyResult struct {
	Policy      Policy
	Final       float64 // multiple of the starting value, after costs
	CAGR        float64 // compound annual growth, after costs
	Volatility  float64 // annualised standard deviation of monthly returns
	MaxDrawdown float64 // ≤ 0
	Trades      int     // asset legs traded, over all rebalancings
	Rebalances  int     // months in which the portfolio was rebalanced
	Cost        float64 // total cost, as a multiple of the starting value
}

// Replay runs each policy over the aligned monthly returns r (r[i][t] for
// asset i in month t) from weights w (adding up to 1), rebalancing at the
// end of a month when the policy says so; costs are taken from the
// portfolio's value when it trades.
func Replay(r [][]float64, w []float64, policies []Policy, costs BacktestCosts) []PolicyResult {
	n := len(w)
	T := 0
	if n > 0 {
		T = len(r[0])
	}
	out := make([]PolicyResult, len(policies))
	h := make([]float64, n)
	band := make([]float64, n)
	rets := make([]float64, T)
	for k, pol := range policies {
		if pol.Bands {
			for i := range band {
				band[i] = pol.Band.Width(decimal.NewFromFloat(w[i])).InexactFloat64()
			}
		}
		copy(h, w)
		value, peak, dd := 1.0, 1.0, 0.0
		res := PolicyResult{Policy: pol}
		for t := 0; t < T; t++ {
			prev := value
			value = 0
			for i := 0; i < n; i++ {
				h[i] *= 1 + r[i][t]
				value += h[i]
			}
			rebalance := false
			switch {
			case pol.Bands:
				for i := 0; i < n && !rebalance; i++ {
					rebalance = math.Abs(h[i]-value*w[i]) > value*band[i]
				}
			case pol.Every > 0:
				rebalance = (t+1)%pol.Every == 0
			}
			if rebalance && t < T-1 {
				cost, legs := 0.0, 0
				for i := 0; i < n; i++ {
					d := math.Abs(h[i] - value*w[i])
					if d > 1e-12*value {
						legs++
						if costs.Rate != nil {
							cost += d * costs.Rate[i]
						}
						if costs.Fixed != nil {
							cost += costs.Fixed[i]
						}
					}
				}
				if legs > 0 {
					cost = math.Min(cost, value)
					value -= cost
					for i := 0; i < n; i++ {
						h[i] = value * w[i]
					}
					res.Trades += legs
					res.Rebalances++
					res.Cost += cost
				}
			}
			rets[t] = value/prev - 1
			if value > peak {
				peak = value
			}
			if d := value/peak - 1; d < dd {
				dd = d
			}
		}
		res.Final, res.MaxDrawdown = value, dd
		if T > 0 {
			res.CAGR = math.Pow(value, 12/float64(T)) - 1
			res.Volatility = math.Sqrt(12) * stddev(rets)
		}
		out[k] = res
	}
	return out
}

func stddev(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return math.Sqrt(s / float64(len(x)-1))
}

// Backtest is the replay of a portfolio's allocation over the bundled
// history under every policy.
type Backtest struct {
	Unit     history.Asset
	UnitNote string
	From, To history.Month
	Months   int
	Assets   []history.Asset
	Weights  []float64
	// FromTargets says the weights are the targets' (else today's).
	FromTargets bool
	// Start is the value replayed (today's net worth of the holdings
	// with history), in ValuationUnit; costs in money are multiples of it.
	Start         decimal.Decimal
	ValuationUnit portfolio.Unit
	Results       []PolicyResult
}

// Money is a multiple of the starting value in the valuation unit.
func (b *Backtest) Money(multiple float64) decimal.Decimal {
	return b.Start.Mul(decimal.NewFromFloat(multiple)).Round(b.ValuationUnit.Scale())
}

// BacktestOptions narrow a backtest.
type BacktestOptions struct {
	From, To history.Month // zero: the window the assets share
}

// ErrNoWeights is the backtest's error when nothing held has history.
var ErrNoWeights = errors.New("nothing with a value and a bundled history to replay")

// NewBacktest replays v's portfolio over the history d: at its targets
// when it sets them (each target's weight shared among the assets of its
// holdings by value, or given to its own asset when it has none), else at
// today's weights; under every policy of Policies(its band), with costs
// from its [rebalance.costs] (docs/analytics.md says how).
func NewBacktest(v *portfolio.Valuation, d *history.Data, opt BacktestOptions) (*Backtest, error) {
	p := v.Portfolio
	pos, _ := analysis.Positions(v)
	b := &Backtest{ValuationUnit: v.Unit}
	for _, x := range pos {
		b.Start = b.Start.Add(x.Value)
	}
	if len(p.Rebalance.Targets) > 0 {
		assets, weights, err := targetWeights(p, v)
		if err != nil {
			return nil, err
		}
		b.Assets, b.Weights, b.FromTargets = assets, weights, true
		b.Start = v.Total
	} else {
		if len(pos) == 0 {
			return nil, ErrNoWeights
		}
		b.Assets, b.Weights = analysis.AssetWeights(pos)
	}
	if len(b.Assets) == 0 || b.Start.Sign() <= 0 {
		return nil, ErrNoWeights
	}
	u, err := history.UnitAsset(v.Unit)
	if err != nil {
		u, b.UnitNote = history.USD, "no bundled history for "+string(v.Unit)+": replayed in USD"
	}
	b.Unit = u
	ret, err := d.Returns(b.Assets, history.Options{Unit: u, From: opt.From, To: opt.To})
	if err != nil {
		return nil, err
	}
	b.From, b.To, b.Months = ret.From, ret.To, ret.Len()
	b.Results = Replay(ret.R, b.Weights, Policies(p.Rebalance.Band), backtestCosts(p, v, b))
	return b, nil
}

// targetWeights maps the targets to history assets.
func targetWeights(p *portfolio.Portfolio, v *portfolio.Valuation) ([]history.Asset, []float64, error) {
	m := history.NewMapping(p)
	targets := p.Rebalance.Targets
	of := assign(p, targets)
	idx := map[history.Asset]int{}
	var assets []history.Asset
	var w []float64
	add := func(a history.Asset, x float64) {
		i, ok := idx[a]
		if !ok {
			i = len(assets)
			idx[a] = i
			assets = append(assets, a)
			w = append(w, 0)
		}
		w[i] += x
	}
	for g, t := range targets {
		tw := t.Weight.InexactFloat64()
		if tw == 0 {
			continue
		}
		var hs []int
		total := 0.0
		for i, x := range of {
			if x == g && !v.Lines[i].Unpriced && v.Lines[i].Value.Sign() > 0 {
				if _, err := m.Exposure(&p.Holdings[i]); err == nil {
					hs = append(hs, i)
					total += v.Lines[i].Value.InexactFloat64()
				}
			}
		}
		if len(hs) == 0 {
			a, err := targetAsset(t, v.Unit)
			if err != nil {
				return nil, nil, err
			}
			add(a, tw)
			continue
		}
		for _, i := range hs {
			e, _ := m.Exposure(&p.Holdings[i])
			add(e.Asset, tw*v.Lines[i].Value.InexactFloat64()/total)
		}
	}
	return assets, w, nil
}

// targetAsset is the history of a target that holds nothing yet.
func targetAsset(t portfolio.Target, unit portfolio.Unit) (history.Asset, error) {
	switch strings.ToUpper(t.Key) {
	case "BITCOIN", "BTC":
		return history.BTC, nil
	case "GOLD", "XAU":
		return history.Gold, nil
	case "CASH", "USD":
		if unit == "USD" || t.Key == "Cash" {
			return history.TBill, nil
		}
		return history.USD, nil
	case "OTHER":
		return history.Equities, nil
	}
	if a := history.Asset(t.Key); a.IsCurrency() {
		return a, nil
	}
	return "", fmt.Errorf("target %q holds nothing and has no bundled history: give it a weight of 0 or add a holding", t.Key)
}

// backtestCosts turns the portfolio's costs into rates and fixed costs
// per asset: gold loses the mean of the dealer's premium and spread (a
// trade is a purchase or a sale), a currency other than the unit the FX
// spread, bitcoin one on-chain fee per trade and equities one commission,
// as multiples of the starting value.
func backtestCosts(p *portfolio.Portfolio, v *portfolio.Valuation, b *Backtest) BacktestCosts {
	k := p.Rebalance.Costs
	n := len(b.Assets)
	c := BacktestCosts{Rate: make([]float64, n), Fixed: make([]float64, n)}
	pr := newPricer(p, v.Unit, v.AsOf, "")
	start := b.Start.InexactFloat64()
	for i, a := range b.Assets {
		switch {
		case a == history.Gold:
			c.Rate[i] = k.GoldPremium.Add(k.GoldSpread).InexactFloat64() / 2
		case a == history.BTC:
			c.Fixed[i] = pr.fee.InexactFloat64() / start
		case a == history.Equities:
			c.Fixed[i] = pr.commis.InexactFloat64() / start
		case a == history.TBill:
			if v.Unit != "USD" {
				c.Rate[i] = k.FXSpread.InexactFloat64()
			}
		case a.IsCurrency() && string(a) != string(v.Unit):
			c.Rate[i] = k.FXSpread.InexactFloat64()
		}
	}
	return c
}
