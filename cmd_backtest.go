package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
)

// newBacktestCmd is "hardfolio backtest": rebalancing policies replayed
// over the bundled history.
func newBacktestCmd(g *globals) *cobra.Command {
	var fromFlag, toFlag string
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Replay rebalancing policies over the bundled history",
		Long: `Replay the target allocation (or today's weights, when no targets are set)
over the bundled monthly history under five policies: no rebalancing,
monthly, quarterly and yearly rebalancing, and bands (the portfolio's, or
the 5/25 rule). For each: compound annual growth, annualised volatility,
maximum drawdown, the number of trades (asset legs) and their total cost,
from the portfolio's [rebalance.costs]. docs/analytics.md states how.`,
		Example: `  hardfolio backtest
  hardfolio backtest --from 2015-01 --unit XAU
  hardfolio backtest --demo --json`,
	}
	cmd.Flags().StringVar(&fromFlag, "from", "", "first month, YYYY-MM (default: the first all assets share)")
	cmd.Flags().StringVar(&toFlag, "to", "", "last month, YYYY-MM (default: the last all assets share)")
	return g.valuationRunCmd(cmd, func(cmd *cobra.Command, v *portfolio.Valuation, asJSON bool) error {
		d, err := history.Load()
		if err != nil {
			return err
		}
		var opt rebalance.BacktestOptions
		if err := parseMonthFlags(fromFlag, toFlag, &opt.From, &opt.To); err != nil {
			return err
		}
		b, err := rebalance.NewBacktest(v, d, opt)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(cmd.OutOrStdout(), backtestJSONOf(b))
		}
		writeBacktestText(cmd.OutOrStdout(), b)
		return nil
	})
}

func writeBacktestText(w io.Writer, b *rebalance.Backtest) {
	what := "today's weights"
	if b.FromTargets {
		what = "the targets"
	}
	fmt.Fprintf(w, "Backtest of %s, %s to %s (%d months), in %s, from %s\n", what, b.From, b.To, b.Months, b.Unit.Name(), b.ValuationUnit.Format(b.Start))
	if b.UnitNote != "" {
		fmt.Fprintln(w, "Note: "+b.UnitNote)
	}
	fmt.Fprint(w, "Weights:")
	for i, a := range b.Assets {
		fmt.Fprintf(w, " %s %s", a.Name(), pctf(b.Weights[i]))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	t := newTable("POLICY", "CAGR", "VOLATILITY", "MAX DRAWDOWN", "REBALANCES", "TRADES", "COST ("+b.ValuationUnit.Symbol()+")").alignRight(1, 2, 3, 4, 5, 6)
	for _, r := range b.Results {
		t.add(r.Policy.Name, pctf(r.CAGR), pctf(r.Volatility), pctf(r.MaxDrawdown), fmt.Sprint(r.Rebalances), fmt.Sprint(r.Trades),
			portfolio.FormatDecimal(b.Money(r.Cost), b.ValuationUnit.Scale()))
	}
	t.write(w, "  ")
	fmt.Fprintln(w, "\nCosts are taken from the portfolio when it trades; CAGR is after them. Monthly prices are averages, which understates drawdowns.")
}

type policyJSON struct {
	Policy      string  `json:"policy"`
	Every       int     `json:"every_months"`
	Bands       bool    `json:"bands"`
	CAGR        float64 `json:"cagr"`
	Volatility  float64 `json:"volatility"`
	MaxDrawdown float64 `json:"max_drawdown"`
	Rebalances  int     `json:"rebalances"`
	Trades      int     `json:"trades"`
	Final       float64 `json:"final_multiple"`
	Cost        string  `json:"total_cost"`
}

type backtestJSON struct {
	Unit        string       `json:"unit"`
	UnitNote    string       `json:"unit_note"`
	From        string       `json:"from"`
	To          string       `json:"to"`
	Months      int          `json:"months"`
	FromTargets bool         `json:"from_targets"`
	Start       string       `json:"start_value"`
	Assets      []string     `json:"assets"`
	Weights     []float64    `json:"weights"`
	Policies    []policyJSON `json:"policies"`
}

func backtestJSONOf(b *rebalance.Backtest) backtestJSON {
	out := backtestJSON{Unit: string(b.Unit), UnitNote: b.UnitNote, From: b.From.String(), To: b.To.String(), Months: b.Months,
		FromTargets: b.FromTargets, Start: jsonFixed(b.Start, b.ValuationUnit.Scale()), Assets: []string{}, Weights: []float64{}, Policies: []policyJSON{}}
	for i, a := range b.Assets {
		out.Assets = append(out.Assets, string(a))
		out.Weights = append(out.Weights, stat(b.Weights[i]))
	}
	for _, r := range b.Results {
		out.Policies = append(out.Policies, policyJSON{Policy: r.Policy.Name, Every: r.Policy.Every, Bands: r.Policy.Bands, CAGR: stat(r.CAGR),
			Volatility: stat(r.Volatility), MaxDrawdown: stat(r.MaxDrawdown), Rebalances: r.Rebalances, Trades: r.Trades, Final: stat(r.Final),
			Cost: jsonFixed(b.Money(r.Cost), b.ValuationUnit.Scale())})
	}
	return out
}
