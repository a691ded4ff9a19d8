package montecarlo

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Plan is what the simulation of a valued portfolio starts from: the
// holdings with history, as weights by asset, and their value.
type Plan struct {
	Assets  []history.Asset
	Weights []float64
	// Unit is what the simulation measures in: the valuation's unit, or
	// USD when that has no bundled history (UnitNote says so).
	Unit     history.Asset
	UnitNote string
	// Start is the value of the holdings simulated, in ValuationUnit;
	// the results' multiples apply to it.
	Start         decimal.Decimal
	ValuationUnit portfolio.Unit
	Excluded      []analysis.Excluded // holdings without a price or history
}

// PlanFor maps v's holdings to the history (as the analysis does). The
// error is analysis.ErrNoPositions when none has history.
func PlanFor(v *portfolio.Valuation) (*Plan, error) {
	pos, excluded := analysis.Positions(v)
	if len(pos) == 0 {
		return nil, analysis.ErrNoPositions
	}
	pl := &Plan{ValuationUnit: v.Unit, Excluded: excluded}
	pl.Assets, pl.Weights = analysis.AssetWeights(pos)
	for _, p := range pos {
		pl.Start = pl.Start.Add(p.Value)
	}
	u, err := history.UnitAsset(v.Unit)
	if err != nil {
		u, pl.UnitNote = history.USD, "no bundled history for "+string(v.Unit)+": simulated in USD"
	}
	pl.Unit = u
	return pl, nil
}

// Config returns the simulation of the plan with the given settings.
func (pl *Plan) Config(years, paths int, seed uint64, policy Policy) Config {
	return Config{Assets: pl.Assets, Weights: pl.Weights, Unit: pl.Unit, Years: years, Paths: paths, Seed: seed, Rebalance: policy}
}

// Value is multiple × the starting value, in the valuation unit, rounded
// to its smallest unit: the money a simulated multiple stands for.
func (pl *Plan) Value(multiple float64) decimal.Decimal {
	return pl.Start.Mul(decimal.NewFromFloat(multiple)).Round(pl.ValuationUnit.Scale())
}

// BitcoinNote warns, when bitcoin is simulated from its early years, that
// those years dominate the result; "" otherwise.
func (r *Result) BitcoinNote() string {
	if !slices.Contains(r.Config.Assets, history.BTC) || r.From.Year() >= 2015 {
		return ""
	}
	return fmt.Sprintf("bitcoin's bundled history starts in 2012 at about $5, and its growth in the first years (drawn here from %s) dominates these paths; drawing from later years only (from 2018, say) gives a soberer picture", r.From)
}

// YearLabel writes a number of months as years, for tables: "5", or
// "1.25" for a quarter past.
func YearLabel(months int) string {
	if months%12 == 0 {
		return fmt.Sprint(months / 12)
	}
	return fmt.Sprintf("%.2f", float64(months)/12)
}
