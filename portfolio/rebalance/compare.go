package rebalance

import (
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Comparison is a what-if's portfolio beside today's, under the same
// analysis: allocation, concentration and the risk figures.
type Comparison struct {
	WhatIf        *WhatIf
	Before, After *analysis.Report
	// Targets are the weights of the portfolio's targets before and
	// after, when it sets any.
	Targets []TargetWeights
}

// TargetWeights is one target's weight before and after a what-if.
type TargetWeights struct {
	Target        portfolio.Target
	Before, After decimal.Decimal
}

// Compare analyses both sides of w with the history d (nil leaves the
// risk figures out).
func Compare(w *WhatIf, d *history.Data) *Comparison {
	vb := portfolio.Valuate(w.Before, w.Unit, w.AsOf)
	va := portfolio.Valuate(w.After, w.Unit, w.AsOf)
	c := &Comparison{WhatIf: w, Before: analysis.Analyze(vb, d), After: analysis.Analyze(va, d)}
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
