package montecarlo

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

func data(testing.TB) *history.Data { return history.MustLoad() }

// goldReturns reads the monthly returns of gold in USD straight from the
// bundled file, with the month of the first.
func goldReturns(t *testing.T) ([]float64, history.Month) {
	t.Helper()
	raw, err := os.ReadFile("../history/data/gold/gold_usd_monthly_avg_worldbank.csv")
	if err != nil {
		t.Fatal(err)
	}
	var prices, rets []float64
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")[1:]
	first, err := history.ParseMonth(strings.Split(lines[0], ",")[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		v, err := strconv.ParseFloat(strings.Split(line, ",")[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		prices = append(prices, v)
	}
	for i := 1; i < len(prices); i++ {
		rets = append(rets, prices[i]/prices[i-1]-1)
	}
	return rets, first + 1
}

// TestSingleAssetMean: a simulation of gold alone has a mean monthly
// return within tolerance of gold's historical mean, computed here from
// the file. The tolerance is five standard errors of the simulated mean,
// counting each 12-month block as one draw (conservative: the months
// within a block are nearly independent). The circular bootstrap draws
// every month equally often, so the expected simulated mean is the
// historical mean exactly.
func TestSingleAssetMean(t *testing.T) {
	all, first := goldReturns(t)
	cfg := Config{Assets: []history.Asset{history.Gold}, Weights: []float64{1}, Years: 30, Paths: 10_000, Seed: 7, Rebalance: None}
	res, err := Run(context.Background(), data(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The simulation draws from the months gold and US CPI share (real
	// figures need CPI, which ends earlier).
	rets := all[res.From-first : res.To-first+1]
	mean, ss := 0.0, 0.0
	for _, r := range rets {
		mean += r
	}
	mean /= float64(len(rets))
	for _, r := range rets {
		ss += (r - mean) * (r - mean)
	}
	sd := math.Sqrt(ss / float64(len(rets)-1))
	// Five standard errors, as if each block of 12 months were one
	// draw of 12 perfectly correlated months: sd·√12/√(paths·months).
	tol := 5 * sd * math.Sqrt(DefaultBlockMonths) / math.Sqrt(float64(cfg.Paths*res.Steps))
	if math.Abs(res.MeanMonthly-mean) > tol {
		t.Errorf("simulated mean %.6f, historical %.6f: off by %.6f, tolerance %.6f", res.MeanMonthly, mean, res.MeanMonthly-mean, tol)
	}
	if res.Months != len(rets) || math.Abs(res.HistoricalMean-mean) > 1e-12 || res.To.String() != "2026-05" {
		t.Errorf("history %s to %s, %d months, mean %v; the file has %d, %v", res.From, res.To, res.Months, res.HistoricalMean, len(rets), mean)
	}
	t.Logf("gold: simulated mean %.5f%%/month, historical %.5f%%, tolerance ±%.5f%%", 100*res.MeanMonthly, 100*mean, 100*tol)
}

// TestExpect: an expected return shifts every month of the asset by one
// factor, so a simulation of gold alone with an expectation is the same
// simulation as without, every path scaled by that factor compounded over
// the horizon; the factor is computed here from the file's geometric mean
// over the window drawn from.
func TestExpect(t *testing.T) {
	all, first := goldReturns(t)
	d := data(t)
	base := Config{Assets: []history.Asset{history.Gold}, Weights: []float64{1}, Years: 20, Paths: 1_000, Seed: 3, Rebalance: None}
	plain, err := Run(context.Background(), d, base)
	if err != nil {
		t.Fatal(err)
	}
	withExp := base
	withExp.Expect = map[history.Asset]float64{history.Gold: 0.04}
	shifted, err := Run(context.Background(), d, withExp)
	if err != nil {
		t.Fatal(err)
	}
	logSum := 0.0
	rets := all[plain.From-first : plain.To-first+1]
	for _, r := range rets {
		logSum += math.Log1p(r)
	}
	histCAGR := math.Exp(12*logSum/float64(len(rets))) - 1
	if math.Abs(plain.AssetCAGR[0]-histCAGR) > 1e-9 || math.Abs(shifted.AssetCAGR[0]-0.04) > 1e-12 {
		t.Errorf("CAGR %v and %v, want gold's %v and 0.04", plain.AssetCAGR[0], shifted.AssetCAGR[0], histCAGR)
	}
	// Per month the factor is (1.04)^(1/12) / (1+histCAGR)^(1/12).
	factor := math.Pow(1.04/(1+histCAGR), 1/12.0)
	for k, q := range plain.Fan {
		scale := math.Pow(factor, float64(plain.Times[k]))
		for j := range q {
			if got, want := shifted.Fan[k][j], q[j]*scale; math.Abs(got/want-1) > 1e-9 {
				t.Fatalf("month %d P%v: %v, want %v × %v = %v", plain.Times[k], Percentiles[j], got, q[j], scale, want)
			}
		}
	}
	// Every later month of a path is scaled by a higher power of the
	// factor than every earlier one, so with a factor above 1 no fall
	// from a high gets deeper.
	if shifted.MedianMaxDrawdown < plain.MedianMaxDrawdown && factor > 1 {
		t.Errorf("a higher expected return deepened the median drawdown: %v < %v", shifted.MedianMaxDrawdown, plain.MedianMaxDrawdown)
	}
}

// TestVolatility: a volatility scales every month's log return around
// the mean by one factor, so with the same seed each path's log value at
// month t is t·μ plus the factor times its distance from t·μ without the
// override; μ and the factor come here from the file.
func TestVolatility(t *testing.T) {
	all, first := goldReturns(t)
	d := data(t)
	// 1,001 paths put every percentile on one path (q·1,000 is whole),
	// where the map from the plain value to the scaled one holds
	// exactly; between two paths the interpolation would bend it.
	base := Config{Assets: []history.Asset{history.Gold}, Weights: []float64{1}, Years: 10, Paths: 1_001, Seed: 5, Rebalance: None}
	plain, err := Run(context.Background(), d, base)
	if err != nil {
		t.Fatal(err)
	}
	scaled := base
	scaled.Volatility = map[history.Asset]float64{history.Gold: 0.30}
	got, err := Run(context.Background(), d, scaled)
	if err != nil {
		t.Fatal(err)
	}
	rets := all[plain.From-first : plain.To-first+1]
	mu, ss := 0.0, 0.0
	for _, r := range rets {
		mu += math.Log1p(r)
	}
	mu /= float64(len(rets))
	for _, r := range rets {
		ss += (math.Log1p(r) - mu) * (math.Log1p(r) - mu)
	}
	vol := math.Sqrt(ss/float64(len(rets)-1)) * math.Sqrt(12)
	k := 0.30 / vol
	if math.Abs(plain.AssetVolatility[0]-vol) > 1e-12 || math.Abs(got.AssetVolatility[0]-0.30) > 1e-12 {
		t.Errorf("volatility %v and %v, want gold's %v and 0.30", plain.AssetVolatility[0], got.AssetVolatility[0], vol)
	}
	if math.Abs(got.AssetCAGR[0]-plain.AssetCAGR[0]) > 1e-12 {
		t.Errorf("a volatility changed the compound growth: %v, was %v", got.AssetCAGR[0], plain.AssetCAGR[0])
	}
	for j, q := range plain.Fan {
		m := float64(plain.Times[j])
		for i := range q {
			want := math.Exp(m*mu + k*(math.Log(q[i])-m*mu))
			if g := got.Fan[j][i]; math.Abs(g/want-1) > 1e-9 {
				t.Fatalf("month %v P%v: %v, want %v", m, Percentiles[i], g, want)
			}
		}
	}
}

// TestSameSeedSameResult: the result depends on the seed only, not on the
// number of workers.
func TestSameSeedSameResult(t *testing.T) {
	d := data(t)
	cfg := Config{Assets: []history.Asset{history.BTC, history.Gold, "EUR"}, Weights: []float64{0.2, 0.5, 0.3}, Unit: "EUR",
		Years: 10, Paths: 2_000, Seed: 42, Rebalance: Bands}
	var results []*Result
	for _, w := range []int{1, 2, 5} {
		cfg.Workers = w
		r, err := Run(context.Background(), d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		r.Config.Workers = 0
		results = append(results, r)
	}
	for _, r := range results[1:] {
		if !reflect.DeepEqual(r, results[0]) {
			t.Fatalf("results differ between worker counts:\n%+v\n%+v", r, results[0])
		}
	}
	cfg.Seed = 43
	other, err := Run(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if other.Fan[len(other.Fan)-1] == results[0].Fan[len(other.Fan)-1] {
		t.Error("another seed gave the same fan")
	}
}

// reference simulates cfg the plain way, path by path, with the same
// random streams, and returns each path's final nominal and real value
// and its maximum drawdown.
func reference(t *testing.T, d *history.Data, cfg Config) (final, real, dd []float64) {
	t.Helper()
	from, to, err := d.Window(append(slices.Clone(cfg.Assets), cfg.Unit), history.USD, true)
	if err != nil {
		t.Fatal(err)
	}
	nom, _ := d.Returns(cfg.Assets, history.Options{Unit: cfg.Unit, From: from, To: to})
	infl, _ := d.Returns([]history.Asset{cfg.Unit}, history.Options{Real: true, From: from, To: to})
	T := nom.Len()
	for p := 0; p < cfg.Paths; p++ {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(p)))
		h := slices.Clone(cfg.Weights)
		v, defl, peak, worst := 1.0, 1.0, 1.0, 0.0
		start := 0
		for m := 0; m < 12*cfg.Years; m++ {
			if m%DefaultBlockMonths == 0 {
				start = rng.IntN(T)
			}
			row := (start + m%DefaultBlockMonths) % T
			v = 0
			for i := range h {
				h[i] *= 1 + nom.R[i][row]
				v += h[i]
			}
			defl *= 1 + infl.R[0][row]
			peak = math.Max(peak, v)
			worst = math.Min(worst, v/peak-1)
			rebalance := cfg.Rebalance == Annual && (m+1)%12 == 0
			if cfg.Rebalance == Bands {
				for i := range h {
					rebalance = rebalance || math.Abs(h[i]/v-cfg.Weights[i]) > math.Min(0.05, 0.25*cfg.Weights[i])
				}
			}
			if rebalance {
				for i := range h {
					h[i] = v * cfg.Weights[i]
				}
			}
		}
		final, real, dd = append(final, v), append(real, v*defl), append(dd, worst)
	}
	return final, real, dd
}

// sortedQuantile is the type-7 quantile by sorting.
func sortedQuantile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	pos := q * float64(len(s)-1)
	k := int(pos)
	if k+1 < len(s) {
		return s[k] + (pos-float64(k))*(s[k+1]-s[k])
	}
	return s[k]
}

// TestAgainstReference runs every policy against the plain simulation
// and checks each figure.
func TestAgainstReference(t *testing.T) {
	d := data(t)
	for _, pol := range []Policy{None, Annual, Bands} {
		t.Run(string(pol), func(t *testing.T) {
			cfg := Config{Assets: []history.Asset{history.BTC, history.Gold, history.Equities, history.TBill}, Weights: []float64{0.1, 0.4, 0.3, 0.2},
				Unit: "CHF", Years: 7, Paths: 500, Seed: 3, Rebalance: pol}
			res, err := Run(context.Background(), d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			final, real, dd := reference(t, d, cfg)
			near := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			for i, p := range Percentiles {
				near("final P"+strconv.Itoa(int(p)), res.Fan[len(res.Fan)-1][i], sortedQuantile(final, p/100))
				near("real P"+strconv.Itoa(int(p)), res.RealFinal[i], sortedQuantile(real, p/100))
			}
			near("median max drawdown", res.MedianMaxDrawdown, sortedQuantile(dd, 0.5))
			s := slices.Sorted(slices.Values(real))
			tail := 0.0
			for _, x := range s[:25] { // 5% of 500
				tail += x
			}
			near("CVaR 95", res.CVaR95, tail/25-1)
			for _, l := range res.Losses {
				n := 0
				for _, x := range real {
					if x < 1-l.Level {
						n++
					}
				}
				near("P(loss > "+strconv.FormatFloat(l.Level, 'f', 2, 64)+")", l.Probability, float64(n)/500)
			}
			if res.Times[len(res.Times)-1] != 84 || res.Fan[0] != [5]float64{1, 1, 1, 1, 1} {
				t.Errorf("times %v, first point %v", res.Times, res.Fan[0])
			}
		})
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var last int
	cfg := Config{Assets: []history.Asset{history.Gold}, Weights: []float64{1}, Years: 30, Paths: 100_000, Seed: 1, Rebalance: Annual, Workers: 2,
		Progress: func(done, total int) {
			last = done
			if done >= 1000 {
				cancel()
			}
		}}
	if _, err := Run(ctx, data(t), cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if last >= 100_000 {
		t.Errorf("ran every path (%d) despite the cancel", last)
	}
	cfg.Paths, cfg.Progress = 1000, func(done, total int) { last = done }
	if _, err := Run(context.Background(), data(t), cfg); err != nil || last != 1000 {
		t.Errorf("progress ended at %d of 1000 (%v)", last, err)
	}
}

func TestBadConfig(t *testing.T) {
	good := Config{Assets: []history.Asset{history.Gold, "EUR"}, Weights: []float64{0.5, 0.5}, Years: 10, Paths: 1000, Rebalance: None}
	for name, edit := range map[string]func(*Config){
		"no assets":       func(c *Config) { c.Assets, c.Weights = nil, nil },
		"weights short":   func(c *Config) { c.Weights = c.Weights[:1] },
		"weights sum":     func(c *Config) { c.Weights = []float64{0.5, 0.6} },
		"negative weight": func(c *Config) { c.Weights = []float64{1.5, -0.5} },
		"zero years":      func(c *Config) { c.Years = 0 },
		"few paths":       func(c *Config) { c.Paths = 10 },
		"policy":          func(c *Config) { c.Rebalance = "monthly" },
		"expect unheld":   func(c *Config) { c.Expect = map[history.Asset]float64{history.BTC: 0.1} },
		"expect -100%":    func(c *Config) { c.Expect = map[history.Asset]float64{history.Gold: -1} },
		"expect NaN":      func(c *Config) { c.Expect = map[history.Asset]float64{history.Gold: math.NaN()} },
		"volatility zero": func(c *Config) { c.Volatility = map[history.Asset]float64{history.Gold: 0} },
		"volatility unheld": func(c *Config) {
			c.Volatility = map[history.Asset]float64{history.BTC: 0.5}
		},
	} {
		c := good
		edit(&c)
		if _, err := Run(context.Background(), data(t), c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: error %v, want ErrBadConfig", name, err)
		}
	}
	c := good
	c.Assets = []history.Asset{"SEK", "EUR"}
	if _, err := Run(context.Background(), data(t), c); !errors.As(err, new(*history.UnknownAssetError)) {
		t.Errorf("an asset without history: error %v", err)
	}
}

// TestHistoryWindow: From and To narrow the months drawn from, within
// the window the assets share.
func TestHistoryWindow(t *testing.T) {
	d := data(t)
	from, _ := history.ParseMonth("2018-01")
	to, _ := history.ParseMonth("2023-12")
	cfg := Config{Assets: []history.Asset{history.BTC, history.Gold}, Weights: []float64{0.5, 0.5}, Years: 5, Paths: 1000, Rebalance: Annual, From: from}
	res, err := Run(context.Background(), d, cfg)
	if err != nil || res.From != from || res.Months != int(res.To-from)+1 {
		t.Fatalf("from 2018-01: %v, %+v", err, res)
	}
	cfg.To = to
	if res, err = Run(context.Background(), d, cfg); err != nil || res.To != to || res.Months != 72 {
		t.Fatalf("2018-01 to 2023-12: %v, %+v", err, res)
	}
	cfg.From, _ = history.ParseMonth("2011-01")
	if _, err := Run(context.Background(), d, cfg); !errors.As(err, new(*history.WindowError)) {
		t.Errorf("before bitcoin's history: error %v, want a WindowError", err)
	}
	cfg.From = to - 5
	if _, err := Run(context.Background(), d, cfg); !errors.Is(err, ErrBadConfig) {
		t.Errorf("six months: error %v, want ErrBadConfig", err)
	}
}

func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 101, 1000} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Floor(rng.NormFloat64() * 10) // with ties
		}
		ps := percentiles(slices.Clone(xs))
		for i, p := range Percentiles {
			if want := sortedQuantile(xs, p/100); ps[i] != want {
				t.Errorf("n=%d P%v = %v, want %v", n, p, ps[i], want)
			}
		}
		if got, want := quantile(slices.Clone(xs), 0.5), sortedQuantile(xs, 0.5); got != want {
			t.Errorf("n=%d median %v, want %v", n, got, want)
		}
	}
}

// BenchmarkMonteCarlo is the figure of docs/performance.md: 10,000 paths
// of 30 years, monthly, six assets, annual rebalancing, on every core.
func BenchmarkMonteCarlo(b *testing.B) {
	d := data(b)
	cfg := Config{
		Assets:  []history.Asset{history.BTC, history.Gold, history.Equities, history.TBill, "EUR", "CHF"},
		Weights: []float64{0.1, 0.35, 0.2, 0.15, 0.1, 0.1},
		Unit:    "EUR", Years: 30, Paths: 10_000, Seed: 1, Rebalance: Annual,
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), d, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
