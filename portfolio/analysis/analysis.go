// Package analysis measures how a portfolio is spread and what it risks:
// concentration along every dimension (asset class, asset, custody kind,
// custodian, jurisdiction, currency) with Herfindahl indices, the single
// points of failure in plain words, custody-aware warnings against the
// limits the portfolio file sets, and the risk of the current allocation
// from the bundled market history (volatility, correlations, risk
// contributions, diversification ratio, drawdowns of the weights replayed
// over history).
//
// It is pure: a valuation and the history in, a Report out. Money stays
// decimal; the statistics are float64. docs/analytics.md states every
// formula.
package analysis

import (
	"errors"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Report is the full analysis of one valuation.
type Report struct {
	Valuation     *portfolio.Valuation
	Concentration []Concentration
	// Failures are the single points of failure, largest share first;
	// Largest indexes the largest one that is a party, a building or a
	// set of keys (a jurisdiction is a slower, legal risk, listed but not
	// the headline), or is -1 when there is none.
	Failures []Failure
	Largest  int
	Warnings []Warning
	// Risk is the current allocation measured over the bundled history;
	// nil, with RiskErr saying why, when no holding has history.
	Risk    *Risk
	RiskErr error
	// WithoutBTC is the same for the holdings other than bitcoin,
	// reweighted to 100%, over their own longer window, when bitcoin is
	// held and shortens the window (its history starts in 2012); nil
	// otherwise.
	WithoutBTC *Risk
}

// ErrNoHistory is the risk error of an analysis run without history.
var ErrNoHistory = errors.New("no market history loaded")

// Analyze analyses v with the bundled history d; with d nil it leaves the
// risk figures out (RiskErr is ErrNoHistory).
func Analyze(v *portfolio.Valuation, d *history.Data) *Report {
	r := &Report{Valuation: v}
	r.Concentration = Concentrations(v)
	r.Failures, r.Largest = Failures(v)
	r.Warnings = Warnings(v, r.Failures)
	pos, excluded := Positions(v)
	unit, unitErr := history.UnitAsset(v.Unit)
	if unitErr != nil {
		// A unit with no bundled history (SEK, say): measure in USD
		// and say so.
		unit = history.USD
	}
	if d == nil {
		r.RiskErr = ErrNoHistory
		return r
	}
	r.Risk, r.RiskErr = RiskOf(pos, unit, d)
	if r.Risk != nil {
		r.Risk.Excluded = excluded
		if unitErr != nil {
			r.Risk.UnitNote = "no bundled history for " + string(v.Unit) + ": measured in USD"
		}
		if rest := withoutAsset(pos, history.BTC); len(rest) < len(pos) && len(rest) > 0 {
			if wb, err := RiskOf(rest, unit, d); err == nil && wb.From < r.Risk.From {
				wb.Excluded = excluded
				wb.UnitNote = r.Risk.UnitNote
				r.WithoutBTC = wb
			}
		}
	}
	return r
}

// Position is one holding's share of the portfolio and the history it
// follows: the input of RiskOf, which a what-if allocation can also build.
type Position struct {
	Holding string // holding ID
	Label   string
	Asset   history.Asset
	Weight  float64         // share of the positions' total, 0..1
	Value   decimal.Decimal // in the valuation's unit; zero for a what-if allocation
	Proxy   bool            // the history stands in for the holding's own market
}

// AssetWeights sums the positions' weights by asset, in the order the
// assets first appear.
func AssetWeights(pos []Position) ([]history.Asset, []float64) {
	idx := map[history.Asset]int{}
	var assets []history.Asset
	var w []float64
	for _, p := range pos {
		i, ok := idx[p.Asset]
		if !ok {
			i = len(assets)
			idx[p.Asset] = i
			assets = append(assets, p.Asset)
			w = append(w, 0)
		}
		w[i] += p.Weight
	}
	return assets, w
}

// Excluded is a holding left out of the risk figures, and why.
type Excluded struct {
	Holding string
	Reason  string
}

// Positions maps every priced holding of v to its history asset, with
// its share of the total of the mapped holdings. Holdings without a price
// or without history are returned as excluded.
func Positions(v *portfolio.Valuation) ([]Position, []Excluded) {
	p := v.Portfolio
	m := history.NewMapping(p)
	var pos []Position
	excluded := []Excluded{}
	total := decimal.Zero
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		if l.Unpriced {
			excluded = append(excluded, Excluded{Holding: h.ID, Reason: "no price in " + string(v.Unit)})
			continue
		}
		if l.Value.Sign() <= 0 {
			continue
		}
		e, err := m.Exposure(h)
		if err != nil {
			excluded = append(excluded, Excluded{Holding: h.ID, Reason: err.(*history.UnmappedError).Reason})
			continue
		}
		pos = append(pos, Position{Holding: h.ID, Label: h.Label(), Asset: e.Asset, Weight: l.Value.InexactFloat64(), Value: l.Value, Proxy: e.Proxy})
		total = total.Add(l.Value)
	}
	if t := total.InexactFloat64(); t > 0 {
		for i := range pos {
			pos[i].Weight /= t
		}
	}
	return pos, excluded
}

func withoutAsset(pos []Position, a history.Asset) []Position {
	var out []Position
	sum := 0.0
	for _, p := range pos {
		if p.Asset != a {
			out = append(out, p)
			sum += p.Weight
		}
	}
	for i := range out {
		out[i].Weight /= sum
	}
	return out
}

// share is part/whole as a decimal share to 12 places, zero when whole is
// not positive.
func share(part, whole decimal.Decimal) decimal.Decimal {
	if whole.Sign() <= 0 {
		return decimal.Zero
	}
	return part.DivRound(whole, 12)
}
