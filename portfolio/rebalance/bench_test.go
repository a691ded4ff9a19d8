package rebalance

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// bigPortfolio is the demo with its holdings copied, each copy with its
// own ID, until there are n.
func bigPortfolio(b testing.TB, n int) *portfolio.Portfolio {
	p := portfolio.Demo(testNow)
	base := p.Holdings
	p.Holdings = make([]portfolio.Holding, 0, n)
	for i := 0; len(p.Holdings) < n; i++ {
		h := base[i%len(base)]
		h.ID = fmt.Sprintf("%s-%d", h.ID, i)
		h.Lots = append([]portfolio.Lot(nil), h.Lots...)
		p.Holdings = append(p.Holdings, h)
	}
	p.Rebalance.Band = portfolio.Band{Abs: d("0.01")}
	if err := p.Validate(); err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuTime is the CPU time the process has used, user and system: the
// benchmarks report it per operation beside the wall time, which a
// machine shared with other work inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPlan1000 plans the rebalancing of a 1,000-holding portfolio
// (the figure: under 10 ms).
func BenchmarkPlan1000(b *testing.B) {
	p := bigPortfolio(b, 1000)
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		pl, err := NewPlan(p, Options{Now: testNow})
		if err != nil || len(pl.Trades) == 0 {
			b.Fatal(err, len(pl.Trades))
		}
	}
	reportCPU(b, start)
}

// BenchmarkPlan1000ToBand is the same plan only back to the band edges.
func BenchmarkPlan1000ToBand(b *testing.B) {
	p := bigPortfolio(b, 1000)
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		pl, err := NewPlan(p, Options{Now: testNow, ToBand: true})
		if err != nil || len(pl.Trades) == 0 {
			b.Fatal(err, len(pl.Trades))
		}
	}
	reportCPU(b, start)
}

func TestBigPlanBalances(t *testing.T) {
	p := bigPortfolio(t, 1000)
	checkTrades(t, p, plan(t, p, Options{}))
	checkTrades(t, p, plan(t, p, Options{ToBand: true}))
}

// BenchmarkBacktest50y replays 50 years of monthly returns of four assets
// under the four calendar policies and bands (the figure for
// four policies: under 50 ms).
func BenchmarkBacktest50y(b *testing.B) {
	const T, n = 600, 4
	rng := rand.New(rand.NewPCG(1, 2))
	r := make([][]float64, n)
	for i := range r {
		r[i] = make([]float64, T)
		for t := range r[i] {
			r[i][t] = 0.005 + 0.04*rng.NormFloat64()
		}
	}
	w := []float64{0.3, 0.45, 0.15, 0.1}
	pols := Policies(portfolio.Band{})
	costs := BacktestCosts{Rate: []float64{0, 0.02, 0.002, 0}, Fixed: []float64{1e-5, 0, 0, 0}}
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		Replay(r, w, pols, costs)
	}
	reportCPU(b, start)
}
