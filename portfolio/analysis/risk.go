package analysis

import (
	"errors"
	"fmt"
	"math"

	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Risk is an allocation measured over the bundled monthly history, in one
// unit, nominal. Weights are held constant: the portfolio is rebalanced
// to them every month. Annual figures scale monthly ones: volatility by
// √12, the mean by 12; the annual return is the replay's compound rate.
type Risk struct {
	Unit     history.Asset
	From, To history.Month // first and last month of returns
	Months   int
	// StartsWith and EndsWith are the assets (or the unit) whose
	// histories start latest and end earliest: they set the window.
	StartsWith, EndsWith history.Asset

	Assets []AssetRisk // the assets held, largest weight first
	// Correlation is the matrix of monthly-return correlations, in the
	// order of Assets; NaN where an asset does not move in the unit (gold
	// measured in gold).
	Correlation [][]float64
	Holdings    []HoldingRisk // in the order of the positions given

	Volatility float64 // annualised: √(12 · wᵀΣw)
	// DiversificationRatio is Σ wᵢσᵢ / σₚ: 1 when the assets move as one,
	// higher the more they offset each other; NaN when σₚ is 0.
	DiversificationRatio float64
	AnnualReturn         float64 // compound annual return of the replay
	MaxDrawdown          Drawdown
	// Worst12 is the worst 12 consecutive months of the replay; nil when
	// the window is shorter.
	Worst12 *Period

	Excluded []Excluded // holdings left out (no price, no history)
	UnitNote string     // how the unit was chosen, when not as asked
}

// AssetRisk is one asset's figures in the window.
type AssetRisk struct {
	Asset      history.Asset
	Weight     float64
	Volatility float64 // annualised
	MeanReturn float64 // arithmetic monthly mean × 12
	// Contribution is the asset's share of the portfolio's variance,
	// wᵢ(Σw)ᵢ / wᵀΣw; the contributions add up to 1 (one may be negative
	// for an asset that offsets the others).
	Contribution float64
}

// HoldingRisk is one holding's weight and share of the variance: its
// asset's contribution, split by weight among the holdings of that asset.
type HoldingRisk struct {
	Holding      string
	Label        string
	Asset        history.Asset
	Proxy        bool
	Weight       float64
	Contribution float64
}

// Drawdown is the largest fall of the replay from a high to a later low.
type Drawdown struct {
	Depth     float64       // the fall, ≤ 0 (-0.45 for 45%)
	Peak      history.Month // the month the high was reached (at its end)
	Trough    history.Month // the month of the low
	Recovered bool          // whether the high was regained within the window
	Recovery  history.Month // the first month back at the high, if Recovered
}

// Period is a span of months and the compound return over it.
type Period struct {
	Return   float64
	From, To history.Month
}

// ErrNoPositions is RiskOf's error when no holding has history.
var ErrNoPositions = errors.New("no holding with a price has bundled history")

// RiskOf measures an allocation: positions (their weights adding up to 1)
// over the window their assets and the unit share. The errors are
// ErrNoPositions and those of history.Data.Returns.
func RiskOf(pos []Position, unit history.Asset, d *history.Data) (*Risk, error) {
	if len(pos) == 0 {
		return nil, ErrNoPositions
	}
	// Group the positions by asset, largest weight first.
	assets, w := AssetWeights(pos)
	idx := make(map[history.Asset]int, len(assets))
	order := make([]int, len(assets))
	for i := range order {
		order[i] = i
	}
	sortByWeight(order, w)
	sorted := make([]history.Asset, len(assets))
	sw := make([]float64, len(assets))
	for k, i := range order {
		sorted[k], sw[k] = assets[i], w[i]
		idx[assets[i]] = k
	}
	assets, w = sorted, sw

	ret, err := d.Returns(assets, history.Options{Unit: unit})
	if err != nil {
		return nil, err
	}
	r := &Risk{Unit: ret.Unit, From: ret.From, To: ret.To, Months: ret.Len()}
	r.StartsWith, r.EndsWith = windowBounds(d, assets, ret.Unit)

	n, T := len(assets), ret.Len()
	mean := make([]float64, n)
	for i, row := range ret.R {
		for _, x := range row {
			mean[i] += x
		}
		mean[i] /= float64(T)
	}
	cov := make([][]float64, n)
	for i := range cov {
		cov[i] = make([]float64, n)
	}
	for t := 0; t < T; t++ {
		for i := 0; i < n; i++ {
			di := ret.R[i][t] - mean[i]
			for j := 0; j <= i; j++ {
				cov[i][j] += di * (ret.R[j][t] - mean[j])
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			cov[i][j] /= float64(T - 1)
			cov[j][i] = cov[i][j]
		}
	}
	sigw := make([]float64, n) // Σw
	variance := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			sigw[i] += cov[i][j] * w[j]
		}
		variance += w[i] * sigw[i]
	}
	r.Volatility = math.Sqrt(12 * variance)
	weighted := 0.0
	r.Correlation = make([][]float64, n)
	for i := 0; i < n; i++ {
		sd := math.Sqrt(cov[i][i])
		a := AssetRisk{Asset: assets[i], Weight: w[i], Volatility: math.Sqrt(12) * sd, MeanReturn: 12 * mean[i],
			Contribution: math.NaN()}
		if variance > 0 {
			a.Contribution = w[i] * sigw[i] / variance
		}
		r.Assets = append(r.Assets, a)
		weighted += w[i] * sd
		r.Correlation[i] = make([]float64, n)
		for j := 0; j < n; j++ {
			r.Correlation[i][j] = math.NaN()
			if den := math.Sqrt(cov[i][i] * cov[j][j]); den > 0 {
				r.Correlation[i][j] = cov[i][j] / den
			}
		}
	}
	r.DiversificationRatio = math.NaN()
	if variance > 0 {
		r.DiversificationRatio = weighted / math.Sqrt(variance)
	}
	for _, p := range pos {
		a := r.Assets[idx[p.Asset]]
		c := math.NaN()
		if a.Weight > 0 {
			c = a.Contribution * p.Weight / a.Weight
		}
		r.Holdings = append(r.Holdings, HoldingRisk{Holding: p.Holding, Label: p.Label, Asset: p.Asset, Proxy: p.Proxy, Weight: p.Weight, Contribution: c})
	}

	// Replay the weights, rebalanced monthly.
	port := make([]float64, T)
	for t := range port {
		for i := 0; i < n; i++ {
			port[t] += w[i] * ret.R[i][t]
		}
	}
	r.MaxDrawdown = maxDrawdown(port, ret.From)
	r.Worst12 = worstWindow(port, ret.From, 12)
	growth := 1.0
	for _, x := range port {
		growth *= 1 + x
	}
	r.AnnualReturn = math.Pow(growth, 12/float64(T)) - 1
	return r, nil
}

// sortByWeight orders idx by weight, largest first, stable.
func sortByWeight(idx []int, w []float64) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && w[idx[j]] > w[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

// windowBounds names the asset (or unit) whose history starts latest and
// the one whose history ends earliest.
func windowBounds(d *history.Data, assets []history.Asset, unit history.Asset) (starts, ends history.Asset) {
	var from, to history.Month
	for k, a := range append(append([]history.Asset(nil), assets...), unit) {
		f, t, err := d.Coverage(a)
		if err != nil {
			continue
		}
		if k == 0 || f > from {
			from, starts = f, a
		}
		if k == 0 || t < to {
			to, ends = t, a
		}
	}
	return starts, ends
}

// maxDrawdown finds the largest fall of the compounded returns r, whose
// first month is from; the index starts at 1 at the end of from-1.
func maxDrawdown(r []float64, from history.Month) Drawdown {
	level, peak := 1.0, 1.0
	peakAt := from - 1
	dd := Drawdown{Peak: from - 1, Trough: from - 1}
	var ddPeakLevel float64 = 1
	for t, x := range r {
		level *= 1 + x
		m := from + history.Month(t)
		if level > peak {
			peak, peakAt = level, m
		}
		if depth := level/peak - 1; depth < dd.Depth {
			dd = Drawdown{Depth: depth, Peak: peakAt, Trough: m}
			ddPeakLevel = peak
		}
	}
	if dd.Depth < 0 {
		level = 1
		for t, x := range r {
			level *= 1 + x
			m := from + history.Month(t)
			if m > dd.Trough && level >= ddPeakLevel {
				dd.Recovered, dd.Recovery = true, m
				break
			}
		}
	}
	return dd
}

// worstWindow is the lowest compound return over n consecutive months.
func worstWindow(r []float64, from history.Month, n int) *Period {
	if len(r) < n {
		return nil
	}
	var worst *Period
	for s := 0; s+n <= len(r); s++ {
		g := 1.0
		for _, x := range r[s : s+n] {
			g *= 1 + x
		}
		if worst == nil || g-1 < worst.Return {
			worst = &Period{Return: g - 1, From: from + history.Month(s), To: from + history.Month(s+n-1)}
		}
	}
	return worst
}

// Window says which months the figures cover and what sets them, in a
// sentence: "2012-02 to 2026-04, 171 months, where every asset held has
// history (Bitcoin from 2012-02, USD T-bills to 2026-04)".
func (r *Risk) Window() string {
	return fmt.Sprintf("%s to %s, %d months, where every asset held has history (%s from %s, %s to %s)",
		r.From, r.To, r.Months, r.StartsWith.Name(), r.From-1, r.EndsWith.Name(), r.To)
}
