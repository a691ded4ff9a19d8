package rebalance

import (
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
)

// Comparison is a what-if's portfolio beside today's, under the same
// analysis: allocation, concentration and the risk figures.
type Comparison struct {
	WhatIf        *WhatIf
	Before, After *analysis.Report
	// Targets are the weights of the portfolio's targets before and
	// after, when it sets any.
	Targets []TargetWeights
	// Stress is every scenario of the stress library (the built-in ones
	// and the portfolio's own) run on both sides; StressErr says why it
	// is missing or cut short.
	Stress    []StressRow
	StressErr error
}

// StressRow is one stress scenario run on both sides of a what-if.
type StressRow struct {
	Scenario      portfolio.Scenario
	Before, After *stress.Result
}

// TargetWeights is one target's weight before and after a what-if.
type TargetWeights struct {
	Target        portfolio.Target
	Before, After decimal.Decimal
}

// Compare analyses both sides of w with the history d (nil leaves the
// risk figures out).
func Compare(w *WhatIf, d *history.Data) *Comparison {
	vb := w.valuationBefore()
	va := portfolio.Valuate(w.After, w.Unit, w.AsOf)
	c := &Comparison{WhatIf: w, Before: analysis.Analyze(vb, d), After: analysis.Analyze(va, d)}
	c.Stress, c.StressErr = stressBoth(vb, va, d)
	targets := w.Before.Rebalance.Targets
	if len(targets) > 0 {
		sum := func(v *portfolio.Valuation) []decimal.Decimal {
			out := make([]decimal.Decimal, len(targets))
			for i := range out {
				out[i] = decimal.Zero
			}
			for i, g := range assign(v.Portfolio, targets) {
				if g >= 0 {
					out[g] = out[g].Add(v.Lines[i].Value)
				}
			}
			for i := range out {
				out[i] = share(out[i], v.Total)
			}
			return out
		}
		b, a := sum(vb), sum(va)
		for i, t := range targets {
			c.Targets = append(c.Targets, TargetWeights{Target: t, Before: b[i], After: a[i]})
		}
	}
	return c
}

// stressBoth runs the stress library of the portfolio before on both
// valuations.
func stressBoth(vb, va *portfolio.Valuation, d *history.Data) ([]StressRow, error) {
	if d == nil {
		return nil, stress.ErrNoHistory
	}
	scs := stress.Library(vb.Portfolio)
	rb, err := stress.RunAll(vb, scs, d)
	if err != nil {
		return nil, err
	}
	ra, err := stress.RunAll(va, scs, d)
	if err != nil {
		return nil, err
	}
	out := make([]StressRow, len(rb))
	for i := range rb {
		out[i] = StressRow{Scenario: rb[i].Scenario, Before: rb[i], After: ra[i]}
	}
	return out, nil
}
