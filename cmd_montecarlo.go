package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/montecarlo"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
)

// Defaults of the montecarlo command and screen.
const (
	defaultYears = 30
	defaultPaths = 10_000
	defaultSeed  = 1
)

// newMonteCarloCmd is "hardfolio montecarlo": the current allocation's
// future simulated by block bootstrap of the bundled history.
func newMonteCarloCmd(g *globals) *cobra.Command {
	var years, paths int
	var seed uint64
	var policy, fromFlag, toFlag string
	var expect, volatility []string
	cmd := &cobra.Command{
		Use:   "montecarlo",
		Short: "Simulate the current allocation's future from the bundled history (block bootstrap)",
		Long: `Simulate thousands of futures of the current allocation by drawing
12-month blocks of consecutive months from the bundled history, every asset
together (which keeps their correlations and fat tails), and compounding
them monthly under a rebalancing policy. Reports the 5th, 25th, 50th, 75th
and 95th percentiles of the value year by year, the probabilities of a
real loss (US CPI), CVaR 95% and the median maximum drawdown. The same
seed gives the same result. docs/analytics.md states the method.`,
		Example: `  hardfolio montecarlo
  hardfolio montecarlo --years 10 --rebalance none --unit XAU
  hardfolio montecarlo --from 2018-01
  hardfolio montecarlo --expect BTC=15 --expect XAU=4
  hardfolio montecarlo --expect BTC=10 --volatility BTC=50
  hardfolio montecarlo --demo --paths 100000 --seed 7 --json`,
	}
	cmd.Flags().IntVar(&years, "years", defaultYears, "horizon in years (1-100)")
	cmd.Flags().IntVar(&paths, "paths", defaultPaths, "number of simulated paths (100-1,000,000)")
	cmd.Flags().Uint64Var(&seed, "seed", defaultSeed, "random seed: the same seed gives the same result")
	cmd.Flags().StringVar(&policy, "rebalance", string(montecarlo.Annual), "rebalancing: none, annual, or bands (when a weight drifts by 5 points or a quarter of its target)")
	cmd.Flags().StringVar(&fromFlag, "from", "", "first month of history to draw from, YYYY-MM (default: the first all assets share)")
	cmd.Flags().StringVar(&toFlag, "to", "", "last month of history to draw from, YYYY-MM (default: the last all assets share)")
	cmd.Flags().StringArrayVar(&expect, "expect", nil, "ASSET=PCT: assume ASSET grows PCT% a year (nominal, in the unit simulated) instead of its historical rate; its volatility and correlations are kept (repeatable; assets: BTC, XAU, EQUITIES, TBILL, USD or a currency)")
	cmd.Flags().StringArrayVar(&volatility, "volatility", nil, "ASSET=PCT: scale ASSET's months to PCT% annualised volatility around their mean instead of its historical spread; correlations are kept (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("rebalance", cobra.FixedCompletions([]string{"none", "annual", "bands"}, cobra.ShellCompDirectiveNoFileComp))
	return g.valuationRunCmd(cmd, func(cmd *cobra.Command, v *portfolio.Valuation, asJSON bool) error {
		pol, err := montecarlo.ParsePolicy(policy)
		if err != nil {
			return fmt.Errorf("--rebalance: %w", err)
		}
		pl, err := montecarlo.PlanFor(v)
		if err != nil {
			return err
		}
		d, err := history.Load()
		if err != nil {
			return err
		}
		ctx, stop := signalContext(cmd)
		defer stop()
		cfg := pl.Config(years, paths, seed, pol)
		if err := parseMonthFlags(fromFlag, toFlag, &cfg.From, &cfg.To); err != nil {
			return err
		}
		if cfg.Expect, err = parseAssetPercents("expect", expect, cfg.Assets); err != nil {
			return err
		}
		if cfg.Volatility, err = parseAssetPercents("volatility", volatility, cfg.Assets); err != nil {
			return err
		}
		res, err := montecarlo.Run(ctx, d, cfg)
		if errors.Is(err, context.Canceled) {
			return errors.New("montecarlo: interrupted")
		}
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(cmd.OutOrStdout(), monteCarloJSON(v, pl, res))
		}
		writeMonteCarloText(cmd, v, pl, res)
		return nil
	})
}

// parseAssetPercents reads --NAME ASSET=PCT flags (--expect,
// --volatility) for an allocation of assets, as shares (15 is 0.15).
func parseAssetPercents(name string, flags []string, assets []history.Asset) (map[history.Asset]float64, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := make(map[history.Asset]float64, len(flags))
	for _, f := range flags {
		asset, pct, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--%s %q: want ASSET=PCT, such as BTC=15", name, f)
		}
		a := history.Asset(strings.ToUpper(strings.TrimSpace(asset)))
		if !slices.Contains(assets, a) {
			held := make([]string, len(assets))
			for i, x := range assets {
				held[i] = string(x)
			}
			return nil, fmt.Errorf("--%s %q: the allocation simulated holds no %s (it holds %s)", name, f, a, strings.Join(held, ", "))
		}
		p, err := rebalance.ParsePercent(pct)
		if err != nil {
			return nil, fmt.Errorf("--%s %q: %w", name, f, err)
		}
		if _, dup := out[a]; dup {
			return nil, fmt.Errorf("--%s %q: %s is given twice", name, f, a)
		}
		out[a] = p.InexactFloat64()
	}
	return out, nil
}

type fanPointJSON struct {
	Month     int       `json:"month"`
	Multiples []float64 `json:"multiples"`
	Values    []string  `json:"values"`
}

type lossJSON struct {
	Loss        float64 `json:"loss"`
	Probability float64 `json:"probability"`
}

type weightJSON struct {
	Asset  string  `json:"asset"`
	Weight float64 `json:"weight"`
	// CAGR is the compound annual growth the simulation assumes
	// (historical over the window, or the --expect figure), and
	// Expected whether it was given.
	CAGR     float64 `json:"cagr"`
	Expected bool    `json:"expected"`
	// Volatility is the annualised volatility the simulation gives it,
	// and VolatilityGiven whether it comes from --volatility.
	Volatility      float64 `json:"volatility"`
	VolatilityGiven bool    `json:"volatility_given"`
}

type monteCarloOutJSON struct {
	Unit              string         `json:"unit"`
	AsOf              *string        `json:"as_of"`
	SimulatedIn       string         `json:"simulated_in"`
	UnitNote          string         `json:"unit_note"`
	BitcoinNote       string         `json:"bitcoin_note"`
	StartValue        string         `json:"start_value"`
	Years             int            `json:"years"`
	Paths             int            `json:"paths"`
	Seed              uint64         `json:"seed"`
	Rebalance         string         `json:"rebalance"`
	BlockMonths       int            `json:"block_months"`
	HistoryFrom       string         `json:"history_from"`
	HistoryTo         string         `json:"history_to"`
	HistoryMonths     int            `json:"history_months"`
	Assets            []weightJSON   `json:"assets"`
	Excluded          []excludedJSON `json:"excluded"`
	Percentiles       []float64      `json:"percentiles"`
	Fan               []fanPointJSON `json:"fan"`
	RealFinal         []float64      `json:"real_final_multiples"`
	Losses            []lossJSON     `json:"real_loss_probabilities"`
	CVaR95            float64        `json:"cvar_95"`
	MedianMaxDrawdown float64        `json:"median_max_drawdown"`
	MeanMonthly       float64        `json:"mean_monthly_return"`
	HistoricalMean    float64        `json:"historical_mean_monthly_return"`
}

func monteCarloJSON(v *portfolio.Valuation, pl *montecarlo.Plan, r *montecarlo.Result) monteCarloOutJSON {
	scale := v.Unit.Scale()
	cfg := r.Config
	out := monteCarloOutJSON{
		Unit: string(v.Unit), AsOf: jsonTime(v.AsOf), SimulatedIn: string(cfg.Unit), UnitNote: pl.UnitNote, BitcoinNote: r.BitcoinNote(),
		StartValue: jsonFixed(pl.Start, scale), Years: cfg.Years, Paths: cfg.Paths, Seed: cfg.Seed, Rebalance: string(cfg.Rebalance),
		BlockMonths: cfg.BlockMonths, HistoryFrom: r.From.String(), HistoryTo: r.To.String(), HistoryMonths: r.Months,
		Assets: []weightJSON{}, Excluded: []excludedJSON{}, Percentiles: montecarlo.Percentiles[:], Fan: []fanPointJSON{},
		CVaR95: stat(r.CVaR95), MedianMaxDrawdown: stat(r.MedianMaxDrawdown), MeanMonthly: stat(r.MeanMonthly), HistoricalMean: stat(r.HistoricalMean),
	}
	for i, a := range cfg.Assets {
		_, given := cfg.Expect[a]
		_, volGiven := cfg.Volatility[a]
		out.Assets = append(out.Assets, weightJSON{Asset: string(a), Weight: stat(cfg.Weights[i]), CAGR: stat(r.AssetCAGR[i]), Expected: given,
			Volatility: stat(r.AssetVolatility[i]), VolatilityGiven: volGiven})
	}
	for _, e := range pl.Excluded {
		out.Excluded = append(out.Excluded, excludedJSON{ID: e.Holding, Reason: e.Reason})
	}
	for k, q := range r.Fan {
		p := fanPointJSON{Month: r.Times[k]}
		for _, x := range q {
			p.Multiples = append(p.Multiples, stat(x))
			p.Values = append(p.Values, jsonFixed(pl.Value(x), scale))
		}
		out.Fan = append(out.Fan, p)
	}
	for _, x := range r.RealFinal {
		out.RealFinal = append(out.RealFinal, stat(x))
	}
	for _, l := range r.Losses {
		out.Losses = append(out.Losses, lossJSON{Loss: l.Level, Probability: stat(l.Probability)})
	}
	return out
}

func writeMonteCarloText(cmd *cobra.Command, v *portfolio.Valuation, pl *montecarlo.Plan, r *montecarlo.Result) {
	w := cmd.OutOrStdout()
	cfg := r.Config
	fmt.Fprintf(w, "Monte Carlo: %s paths × %d years, monthly, rebalancing %s, seed %d\n",
		portfolio.FormatDecimal(decimal.NewFromInt(int64(cfg.Paths)), 0), cfg.Years, cfg.Rebalance, cfg.Seed)
	fmt.Fprintf(w, "Drawn from %s to %s (%d months) in blocks of %d consecutive months, all assets together.\n",
		r.From, r.To, r.Months, cfg.BlockMonths)
	fmt.Fprintf(w, "Starting value %s", v.Unit.Format(pl.Start))
	if len(pl.Excluded) > 0 {
		ids := make([]string, len(pl.Excluded))
		for i, e := range pl.Excluded {
			ids[i] = e.Holding
		}
		fmt.Fprintf(w, " (left out, without price or history: %s)", strings.Join(ids, ", "))
	}
	fmt.Fprintln(w, ".")
	if pl.UnitNote != "" {
		fmt.Fprintf(w, "Note: %s.\n", pl.UnitNote)
	}
	if n := r.BitcoinNote(); n != "" {
		fmt.Fprintf(w, "Note: %s (--from 2018-01, or --expect BTC=PCT).\n", n)
	}
	var growth []string
	for i, a := range cfg.Assets {
		g := fmt.Sprintf("%s %s", a, pctf(r.AssetCAGR[i]))
		if _, given := cfg.Expect[a]; given {
			g += " (expected)"
		}
		g += " ± " + pctf(r.AssetVolatility[i])
		if _, given := cfg.Volatility[a]; given {
			g += " (given)"
		}
		growth = append(growth, g)
	}
	fmt.Fprintf(w, "Growth a year assumed (compound, nominal in %s) ± volatility: %s.\n", cfg.Unit, strings.Join(growth, ", "))
	fmt.Fprintln(w)
	head := []string{"YEAR"}
	for _, p := range montecarlo.Percentiles {
		head = append(head, fmt.Sprintf("P%.0f (%s)", p, v.Unit.Symbol()))
	}
	t := newTable(head...).alignRight(0, 1, 2, 3, 4, 5)
	for k, q := range r.Fan {
		row := []string{montecarlo.YearLabel(r.Times[k])}
		for _, x := range q {
			row = append(row, portfolio.FormatDecimal(pl.Value(x), v.Unit.Scale()))
		}
		t.add(row...)
	}
	t.write(w, "  ")
	fmt.Fprintln(w)
	real := make([]string, len(r.RealFinal))
	for i, x := range r.RealFinal {
		real[i] = fmt.Sprintf("×%.2f", x)
	}
	fmt.Fprintf(w, "Real terms (USD deflated by US CPI-U) after %d years: P5..P95 %s.\n", cfg.Years, strings.Join(real, " "))
	var losses []string
	for _, l := range r.Losses {
		what := "any"
		if l.Level > 0 {
			what = fmt.Sprintf("over %.0f%%", 100*l.Level)
		}
		losses = append(losses, what+" "+pctf(l.Probability))
	}
	fmt.Fprintf(w, "Probability of a real loss at the horizon: %s.\n", strings.Join(losses, ", "))
	fmt.Fprintf(w, "CVaR 95%%: %s, the mean real return of the worst 5%% of paths over %d years.\n", pctf(r.CVaR95), cfg.Years)
	fmt.Fprintf(w, "Median maximum drawdown: %s (nominal, in %s, month by month).\n", pctf(r.MedianMaxDrawdown), cfg.Unit)
}

// parseMonthFlags reads --from and --to (YYYY-MM) into from and to,
// leaving either zero when its flag is empty.
func parseMonthFlags(fromFlag, toFlag string, from, to *history.Month) error {
	for _, f := range []struct {
		name, text string
		to         *history.Month
	}{{"from", fromFlag, from}, {"to", toFlag, to}} {
		if f.text == "" {
			continue
		}
		m, err := history.ParseMonth(f.text)
		if err != nil {
			return fmt.Errorf("--%s: %w", f.name, err)
		}
		*f.to = m
	}
	return nil
}
