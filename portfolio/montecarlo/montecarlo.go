// Package montecarlo simulates the future of an allocation by block
// bootstrap of the bundled monthly history: it draws runs of consecutive
// months from the past, all assets together, and compounds them into
// thousands of paths under a rebalancing policy. It reports the fan of
// outcomes (5th to 95th percentile), the probability of losing more than
// a given share in real terms, CVaR 95% and the median maximum drawdown.
//
// The simulation is float64 throughout and reproducible: every path has
// its own random stream seeded from the seed and the path's number, so
// the result depends on the seed alone, not on how many workers ran it
// or in which order. Money is not computed here: results are multiples of
// the starting value, which callers turn into decimal amounts.
package montecarlo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// Policy is how a simulated portfolio is brought back to its weights.
type Policy string

// Rebalancing policies.
const (
	// None lets the weights drift.
	None Policy = "none"
	// Annual rebalances to the weights at the end of every 12th month.
	Annual Policy = "annual"
	// Bands rebalances at the end of any month in which a weight has
	// drifted from its target by more than 5 percentage points or by a
	// quarter of the target, whichever is smaller (the "5/25" rule).
	Bands Policy = "bands"
)

// ParsePolicy reads a policy name.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case None, Annual, Bands:
		return p, nil
	}
	return "", fmt.Errorf("unknown rebalancing policy %q: want none, annual or bands", s)
}

// DefaultBlockMonths is the bootstrap's block length: a year of
// consecutive months. Shorter blocks break the autocorrelation that
// monthly-average prices and momentum put into returns and understate
// multi-month losses; much longer ones leave too few distinct blocks in a
// window that starts in 2012 (a 14-year window holds about 170 possible
// starts, but only 14 disjoint years).
const DefaultBlockMonths = 12

// Percentiles are the levels of the fan, in percent.
var Percentiles = [5]float64{5, 25, 50, 75, 95}

// LossLevels are the real losses whose probabilities Run reports: more
// than 0% (any loss), 10%, 25% and 50% of the starting value.
var LossLevels = []float64{0, 0.10, 0.25, 0.50}

// Config is one simulation.
type Config struct {
	// Assets and Weights are the allocation: the weights add up to 1.
	Assets  []history.Asset
	Weights []float64
	// Unit is what values are measured in ("" for USD).
	Unit history.Asset
	// Years is the horizon, Paths the number of paths.
	Years, Paths int
	Seed         uint64
	Rebalance    Policy
	// BlockMonths is the bootstrap block length; 0 means
	// DefaultBlockMonths.
	BlockMonths int
	// From and To narrow the months of history drawn from; zero means
	// the window every asset, the unit and US CPI share.
	From, To history.Month
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is told how many paths are done, one call at a
	// time, from the workers' goroutines.
	Progress func(done, total int)
	// Expect overrides the growth of some assets: the expected annual
	// return (0.04 for 4% a year, nominal in Unit) the asset's months are
	// shifted to. Every month of the asset's history is multiplied by
	// the same factor, so that its compound growth over the window drawn
	// from equals the expectation, while its volatility and correlations
	// (of log returns) and the order of its good and bad months are kept.
	// An asset not named keeps its history.
	Expect map[history.Asset]float64
	// Volatility overrides the spread of some assets' months: the
	// annualised volatility (0.6 for 60%: the standard deviation of
	// monthly log returns times √12) the asset's months are scaled to
	// around their mean. Correlations and the order of good and bad
	// months are kept; the mean log return (the compound growth) is
	// unchanged, or is Expect's when both are given.
	Volatility map[history.Asset]float64
}

// Result is the distribution of outcomes. Values are multiples of the
// starting value: 1.5 is a 50% gain.
type Result struct {
	Config Config
	// From and To are the months of history drawn from, Months their
	// number.
	From, To history.Month
	Months   int
	// Steps is the number of simulated months.
	Steps int
	// Times are the simulated months of the fan's points (0 is the
	// start), and Fan the percentiles (Percentiles) of the nominal value
	// in Unit at each.
	Times []int
	Fan   [][5]float64
	// RealFinal are the percentiles of the final value in real terms:
	// in USD deflated by US CPI-U, whatever Unit is (the only price index
	// bundled).
	RealFinal [5]float64
	// Losses are the probabilities of ending with a real loss of more
	// than each of LossLevels.
	Losses []Loss
	// CVaR95 is the mean real return over the whole horizon of the worst
	// 5% of paths (a loss is negative).
	CVaR95 float64
	// MedianMaxDrawdown is the median over paths of the largest fall from
	// a high, month by month, nominal in Unit (≤ 0).
	MedianMaxDrawdown float64
	// MeanMonthly is the mean of the simulated portfolio's monthly
	// returns over every path and month, nominal in Unit, and
	// HistoricalMean that of the weights rebalanced monthly over the
	// history drawn from: without rebalancing effects they agree (the
	// circular bootstrap draws every month equally often).
	MeanMonthly, HistoricalMean float64
	// AssetCAGR is each asset's compound annual growth over the months
	// drawn from, nominal in Unit, after Config.Expect: what the
	// simulation assumes of it, in the order of Config.Assets.
	AssetCAGR []float64
	// AssetVolatility is each asset's annualised volatility (standard
	// deviation of monthly log returns × √12) over the months drawn
	// from, after Config.Volatility.
	AssetVolatility []float64
}

// Loss is the probability of a real loss larger than Level.
type Loss struct {
	Level       float64
	Probability float64
}

// ErrBadConfig wraps the errors of a configuration Run refuses.
var ErrBadConfig = errors.New("monte carlo")

func badConfig(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, a...))
}

// Run simulates cfg over the history d. It returns ctx's error if ctx is
// cancelled first, ErrBadConfig for a configuration it refuses, and the
// errors of history.Data.Returns.
func Run(ctx context.Context, d *history.Data, cfg Config) (*Result, error) {
	if cfg.Unit == "" {
		cfg.Unit = history.USD
	}
	if cfg.BlockMonths == 0 {
		cfg.BlockMonths = DefaultBlockMonths
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if err := check(&cfg); err != nil {
		return nil, err
	}
	m, err := newModel(d, cfg)
	if err != nil {
		return nil, err
	}
	return m.run(ctx)
}

func check(cfg *Config) error {
	switch {
	case len(cfg.Assets) == 0:
		return badConfig("no assets")
	case len(cfg.Weights) != len(cfg.Assets):
		return badConfig("%d weights for %d assets", len(cfg.Weights), len(cfg.Assets))
	case cfg.Years < 1 || cfg.Years > 100:
		return badConfig("years %d: want 1 to 100", cfg.Years)
	case cfg.Paths < 100 || cfg.Paths > 1_000_000:
		return badConfig("paths %d: want 100 to 1,000,000", cfg.Paths)
	case cfg.BlockMonths < 1:
		return badConfig("block length %d: want at least one month", cfg.BlockMonths)
	}
	if _, err := ParsePolicy(string(cfg.Rebalance)); err != nil {
		return badConfig("%v", err)
	}
	sum := 0.0
	for i, w := range cfg.Weights {
		if w < 0 || math.IsNaN(w) {
			return badConfig("weight of %s is %v: want a share from 0 to 1", cfg.Assets[i], w)
		}
		sum += w
	}
	if math.Abs(sum-1) > 1e-9 {
		return badConfig("weights add up to %v, not 1", sum)
	}
	for a, v := range cfg.Volatility {
		if !slices.Contains(cfg.Assets, a) {
			return badConfig("volatility for %s, which the allocation does not hold", a)
		}
		if !(v > 0 && v <= 5) {
			return badConfig("volatility of %s is %v: want more than 0%% and at most 500%% a year", a, v)
		}
	}
	for a, e := range cfg.Expect {
		if !slices.Contains(cfg.Assets, a) {
			return badConfig("expected return for %s, which the allocation does not hold", a)
		}
		if !(e > -1 && e <= 10) {
			return badConfig("expected return of %s is %v: want more than -100%% and at most 1,000%% a year", a, e)
		}
	}
	return nil
}

// model is a simulation ready to run: the history as growth factors, one
// row per month with a column per asset and a last column that turns a
// value in the unit into real USD.
type model struct {
	cfg      Config
	n        int       // assets
	stride   int       // n + 1
	growth   []float64 // growth[row*stride+i] = 1 + return of asset i in month row; column n: the unit in real USD
	rows     int
	from, to history.Month
	histMean float64
	cagr     []float64 // each asset's compound annual growth over the window, after Expect
	vol      []float64 // each asset's annualised volatility of log returns, after Volatility
	band     []float64 // Bands: the allowed drift of each weight
}

func newModel(d *history.Data, cfg Config) (*model, error) {
	// The window: every asset in the unit, and the unit in real USD.
	all := append([]history.Asset(nil), cfg.Assets...)
	if !slices.Contains(all, cfg.Unit) {
		all = append(all, cfg.Unit)
	}
	from, to, err := d.Window(all, history.USD, true)
	if err != nil {
		return nil, err
	}
	if cfg.From != 0 || cfg.To != 0 {
		f, t := cfg.From, cfg.To
		if f == 0 {
			f = from
		}
		if t == 0 {
			t = to
		}
		if f < from || t > to {
			return nil, &history.WindowError{Assets: all, From: f, To: t, CommonFrom: from, CommonTo: to}
		}
		if t-f < 11 {
			return nil, badConfig("history %s to %s: want at least 12 months", f, t)
		}
		from, to = f, t
	}
	nominal, err := d.Returns(cfg.Assets, history.Options{Unit: cfg.Unit, From: from, To: to})
	if err != nil {
		return nil, err
	}
	real, err := d.Returns([]history.Asset{cfg.Unit}, history.Options{Real: true, From: from, To: to})
	if err != nil {
		return nil, err
	}
	n := len(cfg.Assets)
	m := &model{cfg: cfg, n: n, stride: n + 1, rows: nominal.Len(), from: from, to: to}
	m.growth = make([]float64, m.rows*m.stride)
	// Each asset's months as log growth x = ln(1 + r): an expectation
	// moves their mean, a volatility scales their spread around it.
	logs := make([][]float64, n)
	m.cagr = make([]float64, n)
	m.vol = make([]float64, n)
	for i, a := range cfg.Assets {
		x := make([]float64, m.rows)
		mu := 0.0
		for t, r := range nominal.R[i] {
			x[t] = math.Log1p(r)
			mu += x[t]
		}
		mu /= float64(m.rows)
		ss := 0.0
		for _, v := range x {
			ss += (v - mu) * (v - mu)
		}
		sd := 0.0
		if m.rows > 1 {
			sd = math.Sqrt(ss / float64(m.rows-1))
		}
		newMu, scale := mu, 1.0
		if e, ok := cfg.Expect[a]; ok {
			newMu = math.Log1p(e) / 12
		}
		if v, ok := cfg.Volatility[a]; ok && sd > 0 {
			scale = v / (sd * math.Sqrt(12))
		}
		_, expect := cfg.Expect[a]
		if expect || scale != 1 {
			for t := range x {
				x[t] = newMu + (x[t]-mu)*scale
			}
			logs[i] = x // nil: the history as it is
		}
		m.cagr[i] = math.Expm1(12 * newMu)
		m.vol[i] = sd * scale * math.Sqrt(12)
	}
	for t := 0; t < m.rows; t++ {
		row := m.growth[t*m.stride : (t+1)*m.stride]
		port := 0.0
		for i := 0; i < n; i++ {
			if logs[i] != nil {
				row[i] = math.Exp(logs[i][t])
			} else {
				row[i] = 1 + nominal.R[i][t]
			}
			port += cfg.Weights[i] * (row[i] - 1)
		}
		row[n] = 1 + real.R[0][t]
		m.histMean += port
	}
	m.histMean /= float64(m.rows)
	if cfg.Rebalance == Bands {
		m.band = make([]float64, n)
		for i, w := range cfg.Weights {
			m.band[i] = math.Min(0.05, 0.25*w)
		}
	}
	return m, nil
}

// interval is the number of months between the fan's points: a year, or
// a quarter for horizons under five years.
func interval(years int) int {
	if years < 5 {
		return 3
	}
	return 12
}

// chunk is the number of paths a worker takes at a time: small enough
// for smooth progress and prompt cancellation, large enough that the
// shared counter costs nothing.
const chunk = 128

// run simulates every path and summarises them.
func (m *model) run(ctx context.Context) (*Result, error) {
	cfg := m.cfg
	steps := 12 * cfg.Years
	every := interval(cfg.Years)
	points := steps/every + 1
	P := cfg.Paths
	// samples[k*P+p] is path p's value at point k; final real values and
	// drawdowns one per path.
	samples := make([]float64, points*P)
	realEnd := make([]float64, P)
	drawdowns := make([]float64, P)
	sums := make([]float64, P) // each path's sum of monthly returns

	var next, done atomic.Int64
	var progressMu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := m.newWorker(samples, realEnd, drawdowns, sums, steps, every)
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk
				if start >= P {
					break
				}
				end := min(start+chunk, P)
				for p := start; p < end; p++ {
					s.path(p)
				}
				if cfg.Progress != nil {
					progressMu.Lock()
					cfg.Progress(int(done.Add(int64(end-start))), P)
					progressMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &Result{Config: cfg, From: m.from, To: m.to, Months: m.rows, Steps: steps, HistoricalMean: m.histMean, AssetCAGR: m.cagr, AssetVolatility: m.vol}
	res.Times = make([]int, points)
	res.Fan = make([][5]float64, points)
	// The percentiles of each point are independent selections: share
	// them out between the workers too.
	var point atomic.Int64
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(point.Add(1)) - 1; k < points; k = int(point.Add(1)) - 1 {
				res.Times[k] = k * every
				res.Fan[k] = percentiles(samples[k*P : (k+1)*P])
			}
		}()
	}
	res.RealFinal = percentiles(realEnd) // reorders realEnd, which what follows does not mind
	wg.Wait()
	for _, level := range LossLevels {
		below := 0
		for _, x := range realEnd {
			if x < 1-level {
				below++
			}
		}
		res.Losses = append(res.Losses, Loss{Level: level, Probability: float64(below) / float64(P)})
	}
	res.CVaR95 = tailMean(realEnd, 0.05) - 1
	res.MedianMaxDrawdown = quantile(drawdowns, 0.5)
	total := 0.0
	for _, s := range sums { // in path order, so the sum does not depend on the workers
		total += s
	}
	res.MeanMonthly = total / float64(P*steps)
	return res, nil
}

// worker is one goroutine's state: its random stream and scratch space,
// allocated once.
type worker struct {
	m                            *model
	src                          *rand.PCG
	rng                          *rand.Rand
	h                            []float64 // value held in each asset
	samples, realEnd, drawdowns  []float64
	sums                         []float64
	steps, every, paths, rows, b int
}

func (m *model) newWorker(samples, realEnd, drawdowns, sums []float64, steps, every int) *worker {
	src := rand.NewPCG(0, 0)
	return &worker{m: m, src: src, rng: rand.New(src), h: make([]float64, m.n),
		samples: samples, realEnd: realEnd, drawdowns: drawdowns, sums: sums,
		steps: steps, every: every, paths: m.cfg.Paths, rows: m.rows, b: m.cfg.BlockMonths}
}

// path simulates path p: its stream is seeded by the seed and p alone.
// The loop runs 360 times per path for 30 years, for 10,000 paths: it
// counts months down instead of taking remainders (an integer division
// costs more than the rest of a step), and divides only when a new low
// is reached.
func (s *worker) path(p int) {
	m := s.m
	n, stride, g := m.n, m.stride, m.growth
	w := m.cfg.Weights[:n]
	s.src.Seed(m.cfg.Seed, uint64(p))
	h := s.h[:n]
	copy(h, w)
	value, deflator, peak, worst := 1.0, 1.0, 1.0, 1.0
	sum := 0.0
	row, k := 0, 1
	s.samples[p] = 1
	annual, bands := m.cfg.Rebalance == Annual, m.cfg.Rebalance == Bands
	block, year, sample := 0, 12, s.every // months left until each event
	for t := 0; t < s.steps; t++ {
		// A new block every b months, from any month of the history
		// (wrapping round at the end: the circular block bootstrap).
		if block == 0 {
			row, block = s.rng.IntN(s.rows), s.b
		} else if row++; row == s.rows {
			row = 0
		}
		block--
		r := g[row*stride : row*stride+stride]
		r = r[: n+1 : n+1]
		next := 0.0
		for i := range h {
			h[i] *= r[i]
			next += h[i]
		}
		deflator *= r[n]
		sum += next / value
		value = next
		if value > peak {
			peak = value
		} else if value < worst*peak {
			worst = value / peak
		}
		year--
		switch {
		case annual && year == 0:
			for i := range h {
				h[i] = value * w[i]
			}
		case bands:
			for i := range h {
				if math.Abs(h[i]-value*w[i]) > value*m.band[i] {
					for j := range h {
						h[j] = value * w[j]
					}
					break
				}
			}
		}
		if year == 0 {
			year = 12
		}
		if sample--; sample == 0 {
			s.samples[k*s.paths+p] = value
			k++
			sample = s.every
		}
	}
	s.realEnd[p] = value * deflator
	s.drawdowns[p] = worst - 1
	s.sums[p] = sum - float64(s.steps)
}
