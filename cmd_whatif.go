package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
)

// newWhatIfCmd is "hardfolio whatif": trades tried on a copy of the
// portfolio, compared with today's, saved, applied or undone.
func newWhatIfCmd(g *globals) *cobra.Command {
	var f rebalanceFlags
	var fromPlan, apply, asJSON bool
	var save string
	cmd := &cobra.Command{
		Use:   "whatif [TRADE...]",
		Short: "Try trades on a copy of the portfolio and compare it with today's",
		Long: `Apply the rebalancing plan (--plan) or hand-written trades to a copy of the
portfolio and show both side by side: allocation by target and by asset
class, concentration, the single largest point of failure, and the risk
figures of the analysis. The portfolio itself is not changed unless
--apply is given; --save keeps the what-if under a name.

Trades: ` + rebalance.TradeHelp + `.`,
		Example: `  hardfolio whatif move 5% from GLD to BTC
  hardfolio whatif "sell the vault bar; buy BTC 20000 EUR" --save "no vault"
  hardfolio whatif --plan --cash "10000 EUR" --buy-only
  hardfolio whatif --plan --apply
  hardfolio whatif list
  hardfolio whatif apply "no vault"
  hardfolio whatif undo`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !fromPlan && len(args) == 0 {
				return fmt.Errorf("give trades (%s) or --plan", rebalance.TradeHelp)
			}
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			if (apply || save != "") && !b.Demo() {
				if err := b.EnsureWritable(); err != nil {
					return fmt.Errorf("cannot change the portfolio: %w", err)
				}
			}
			p := b.Portfolio()
			opt, rest, err := f.options(p, args)
			if err != nil {
				return err
			}
			opt.Now = g.now()
			var w *rebalance.WhatIf
			if fromPlan {
				if len(rest) > 0 {
					return fmt.Errorf("--plan takes no trades (got %q): give either", strings.Join(rest, " "))
				}
				pl, err := rebalance.NewPlan(p, opt)
				if err != nil {
					return err
				}
				w = pl.WhatIf(p)
			} else {
				if f.cash != "" || f.buyOnly {
					return errors.New("--cash and --buy-only shape a plan: use them with --plan")
				}
				if w, err = rebalance.NewWhatIf(p, strings.Join(rest, " "), opt.Unit, opt.Now); err != nil {
					return err
				}
			}
			d, herr := history.Load()
			c := rebalance.Compare(w, d)
			if herr != nil {
				c.Before.RiskErr, c.After.RiskErr = herr, herr
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, whatIfJSONOf(c)); err != nil {
					return err
				}
			} else {
				writeWhatIfText(out, c)
			}
			if save != "" {
				if b.Demo() {
					return errors.New("--save: the demo portfolio is read-only")
				}
				q := p.Clone()
				if q.Rebalance.WhatIf(save) != nil {
					return fmt.Errorf("--save: a what-if named %q exists already: remove it first with hardfolio whatif rm", save)
				}
				q.Rebalance.WhatIfs = append(q.Rebalance.WhatIfs, w.Saved(save))
				if err := b.Save(q); err != nil {
					return err
				}
				p = q
				w.Before = q
				fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: saved the what-if as %q\n", save)
			}
			if apply {
				name := save
				if name == "" {
					name = w.Note
				}
				return applyWhatIf(cmd, g, b, w, name)
			}
			return nil
		},
	}
	f.add(g, cmd)
	cmd.Flags().BoolVar(&fromPlan, "plan", false, "try the rebalancing plan (as hardfolio rebalance makes it)")
	cmd.Flags().StringVar(&save, "save", "", "save the what-if under this name")
	cmd.Flags().BoolVar(&apply, "apply", false, "apply the what-if to the portfolio (undo with hardfolio whatif undo)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	cmd.AddCommand(newWhatIfListCmd(g), newWhatIfShowCmd(g), newWhatIfRmCmd(g), newWhatIfApplyCmd(g), newWhatIfUndoCmd(g))
	return cmd
}

// digest is the SHA-256 of p's file encoding without its record of the
// last applied what-if: what undo checks has not changed since.
func digest(p *portfolio.Portfolio) (string, error) {
	q := p.Clone()
	q.Rebalance.Applied = nil
	data, err := portfolio.Encode(q)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// bookSaver is what applying needs of the open book.
type bookSaver interface {
	Save(*portfolio.Portfolio) error
	Demo() bool
}

// applyWhatIf saves the what-if's portfolio in place of the real one,
// with a record that lets undo restore the version it replaced.
func applyWhatIf(cmd *cobra.Command, g *globals, b bookSaver, w *rebalance.WhatIf, name string) error {
	if b.Demo() {
		return errors.New("--apply: the demo portfolio is read-only")
	}
	q := w.After.Clone()
	// The what-if was made on the portfolio before any --save: keep the
	// saved what-ifs of the current one.
	q.Rebalance.WhatIfs = append([]portfolio.WhatIf(nil), w.Before.Rebalance.WhatIfs...)
	q.Rebalance.Applied = nil
	sum, err := digest(q)
	if err != nil {
		return err
	}
	q.Rebalance.Applied = &portfolio.AppliedWhatIf{Name: name, Time: g.now().UTC(), Digest: sum}
	if err := b.Save(q); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: applied %q to the portfolio; undo with: hardfolio whatif undo\n", name)
	return nil
}

func newWhatIfListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the saved what-ifs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			s := &b.Portfolio().Rebalance
			w := cmd.OutOrStdout()
			if len(s.WhatIfs) == 0 {
				fmt.Fprintln(w, "No saved what-ifs. Save one with: hardfolio whatif TRADES --save NAME")
				return nil
			}
			t := newTable("NAME", "CREATED", "TRADES", "FROM")
			for _, x := range s.WhatIfs {
				t.add(x.Name, x.Created.Format("2006-01-02"), fmt.Sprint(len(x.Trades)), x.Note)
			}
			t.write(w, "")
			if a := s.Applied; a != nil {
				fmt.Fprintf(w, "\nLast applied: %q at %s\n", a.Name, timeString(a.Time))
			}
			return nil
		},
	}
}

// loadSaved opens the book and prices the saved what-if name.
func loadSaved(cmd *cobra.Command, g *globals, name, unitFlag string, writable bool) (*rebalance.WhatIf, func() error, bookSaver, error) {
	open := g.open
	if writable {
		open = g.openWritable
	}
	b, err := open(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	p := b.Portfolio()
	saved := p.Rebalance.WhatIf(name)
	if saved == nil {
		b.Close()
		return nil, nil, nil, fmt.Errorf("no saved what-if named %q (hardfolio whatif list shows them)", name)
	}
	u, err := unitOf(p, unitFlag)
	if err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	w, err := rebalance.Load(p, *saved, u, g.now())
	if err != nil {
		b.Close()
		return nil, nil, nil, fmt.Errorf("what-if %q: %w", name, err)
	}
	return w, b.Close, b, nil
}

func newWhatIfShowCmd(g *globals) *cobra.Command {
	var unit string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Compare a saved what-if with the portfolio as it is now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, closeBook, _, err := loadSaved(cmd, g, args[0], unit, false)
			if err != nil {
				return err
			}
			defer closeBook()
			d, herr := history.Load()
			c := rebalance.Compare(w, d)
			if herr != nil {
				c.Before.RiskErr, c.After.RiskErr = herr, herr
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), whatIfJSONOf(c))
			}
			writeWhatIfText(cmd.OutOrStdout(), c)
			return nil
		},
	}
	addUnitFlag(g, cmd, &unit)
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

func newWhatIfRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Discard a saved what-if",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := g.edit(cmd, func(q *portfolio.Portfolio) error {
				kept := q.Rebalance.WhatIfs[:0]
				found := false
				for _, x := range q.Rebalance.WhatIfs {
					if strings.EqualFold(x.Name, args[0]) {
						found = true
						continue
					}
					kept = append(kept, x)
				}
				if !found {
					return fmt.Errorf("no saved what-if named %q", args[0])
				}
				q.Rebalance.WhatIfs = kept
				return nil
			})
			return err
		},
	}
}

func newWhatIfApplyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "apply NAME",
		Short: "Apply a saved what-if to the portfolio (undo with hardfolio whatif undo)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, closeBook, b, err := loadSaved(cmd, g, args[0], "", true)
			if err != nil {
				return err
			}
			defer closeBook()
			return applyWhatIf(cmd, g, b, w, w.Name)
		},
	}
}

func newWhatIfUndoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "undo",
		Short: "Undo the last applied what-if, if nothing has changed since",
		Long: `Restore the portfolio as it was before the last "whatif --apply" or
"whatif apply", from the backup that save made. Refused when the portfolio
has changed since the what-if was applied, so that no later change is lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			a := p.Rebalance.Applied
			if a == nil {
				return errors.New("nothing to undo: no what-if has been applied")
			}
			sum, err := digest(p)
			if err != nil {
				return err
			}
			if sum != a.Digest {
				return fmt.Errorf("the portfolio has changed since %q was applied at %s: undo it by hand, or restore a backup", a.Name, timeString(a.Time))
			}
			st := b.Store()
			backups, err := st.Backups()
			if err != nil {
				return err
			}
			if len(backups) == 0 {
				return errors.New("no backup of the portfolio before the what-if was found")
			}
			data, err := st.ReadBackup(backups[0])
			if err != nil {
				return err
			}
			if _, err := portfolio.Decode(backups[0].Path, data); err != nil {
				return fmt.Errorf("the backup before the what-if does not load: %w", err)
			}
			if err := st.Restore(backups[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: undid %q\n", a.Name)
			return nil
		},
	}
}

// ---- output -----------------------------------------------------------

func writeWhatIfText(w io.Writer, c *rebalance.Comparison) {
	wi := c.WhatIf
	u := wi.Unit
	title := "What-if"
	if wi.Name != "" {
		title += " " + fmt.Sprintf("%q", wi.Name)
	}
	fmt.Fprintf(w, "%s: %s (in %s; the portfolio is not changed)\n\n", title, wi.Note, u)
	if len(wi.Trades) == 0 {
		fmt.Fprintln(w, "No trades.")
	} else {
		writeTradesText(w, wi.Before, wi.Trades, u, wi.Cost)
	}
	fifo, hifo := gainsOf(wi.Trades)
	writeGainsText(w, wi.Trades, u, fifo, hifo)
	fmt.Fprintln(w)
	b, a := c.Before, c.After
	t := newTable("", "BEFORE", "AFTER").alignRight(1, 2)
	t.add("Net worth", portfolio.FormatDecimal(b.Valuation.Total, u.Scale()), portfolio.FormatDecimal(a.Valuation.Total, u.Scale()))
	if len(c.Targets) > 0 {
		t.add("Targets", "", "")
		for _, tw := range c.Targets {
			t.add("  "+tw.Target.Key+" (target "+percentPlain(tw.Target.Weight)+")", percent(tw.Before), percent(tw.After))
		}
	}
	t.add("Asset class", "", "")
	for _, row := range sliceRows(b.Concentration[0].Slices, a.Concentration[0].Slices) {
		t.add("  "+row[0], row[1], row[2])
	}
	t.add("Concentration (effective number)", "", "")
	for i, cb := range b.Concentration {
		t.add("  "+cb.Dimension.String(), fmt.Sprintf("%.2f", cb.Effective), fmt.Sprintf("%.2f", a.Concentration[i].Effective))
	}
	t.add("Largest point of failure", failureShare(b), failureShare(a))
	t.add("Warnings", fmt.Sprint(len(b.Warnings)), fmt.Sprint(len(a.Warnings)))
	if b.Risk != nil && a.Risk != nil {
		t.add("Risk, weights rebalanced monthly", "", "")
		t.add("  Volatility (annual)", pctf(b.Risk.Volatility), pctf(a.Risk.Volatility))
		t.add("  Annual return", pctf(b.Risk.AnnualReturn), pctf(a.Risk.AnnualReturn))
		t.add("  Max drawdown", pctf(b.Risk.MaxDrawdown.Depth), pctf(a.Risk.MaxDrawdown.Depth))
		t.add("  Diversification ratio", fmt.Sprintf("%.2f", b.Risk.DiversificationRatio), fmt.Sprintf("%.2f", a.Risk.DiversificationRatio))
	}
	t.write(w, "  ")
	switch {
	case b.Risk != nil && a.Risk != nil && b.Risk.Window() == a.Risk.Window():
		fmt.Fprintf(w, "\nRisk over %s.\n", b.Risk.Window())
	case b.Risk != nil && a.Risk != nil:
		fmt.Fprintf(w, "\nRisk before over %s; after over %s.\n", b.Risk.Window(), a.Risk.Window())
	}
	if b.Risk == nil && b.RiskErr != nil {
		fmt.Fprintf(w, "\nNo risk figures: %v\n", b.RiskErr)
	}
	writeWhatIfStress(w, c)
}

// writeWhatIfStress is the stress table of both sides: the change in
// what is owned once each scenario has run its course, and the share of
// today's net worth reachable 30 days in.
func writeWhatIfStress(w io.Writer, c *rebalance.Comparison) {
	fmt.Fprintln(w)
	if c.StressErr != nil {
		fmt.Fprintf(w, "No stress figures: %v\n", c.StressErr)
		return
	}
	fmt.Fprintln(w, "Stress tests, before and after")
	t := newTable("SCENARIO", "CHANGE BEFORE", "CHANGE AFTER", "DAY 30 BEFORE", "DAY 30 AFTER").alignRight(1, 2, 3, 4)
	for _, r := range c.Stress {
		t.add(r.Scenario.ID, signedPercent(stress.Share(r.Before.Change(), r.Before.Before)), signedPercent(stress.Share(r.After.Change(), r.After.Before)),
			percent(stress.Share(r.Before.Accessible[whatIfDay], r.Before.Before)), percent(stress.Share(r.After.Accessible[whatIfDay], r.After.Before)))
	}
	t.write(w, "  ")
	fmt.Fprintln(w, "\nCHANGE is in what you own once the scenario has run its course; DAY 30 is what you can reach 30 days in,")
	fmt.Fprintln(w, "as a share of that side's net worth today. Details: hardfolio stress --scenario ID.")
}

// whatIfDay indexes stress.Checkpoints: day 30.
const whatIfDay = 2

func gainsOf(trades []rebalance.Trade) (fifo, hifo decimal.Decimal) {
	fifo, hifo = decimal.Zero, decimal.Zero
	for _, t := range trades {
		if t.Gains != nil {
			fifo = fifo.Add(t.Gains.FIFO.Gain)
			hifo = hifo.Add(t.Gains.HIFO.Gain)
		}
	}
	return fifo, hifo
}

func failureShare(r *analysis.Report) string {
	if r.Largest < 0 {
		return "-"
	}
	f := r.Failures[r.Largest]
	return percent(f.Share) + " " + f.Label
}

// sliceRows joins two allocations by key: label, before, after.
func sliceRows(before, after []portfolio.Slice) [][3]string {
	idx := map[string]int{}
	var rows [][3]string
	for _, s := range before {
		idx[s.Key] = len(rows)
		rows = append(rows, [3]string{s.Label, percent(s.Weight), "0.0%"})
	}
	for _, s := range after {
		i, ok := idx[s.Key]
		if !ok {
			i = len(rows)
			rows = append(rows, [3]string{s.Label, "0.0%", ""})
		}
		rows[i][2] = percent(s.Weight)
	}
	return rows
}

type targetWeightsJSON struct {
	Key    string `json:"key"`
	Target string `json:"target"`
	Before string `json:"before"`
	After  string `json:"after"`
}

type whatIfStressSideJSON struct {
	NetWorth   string   `json:"net_worth"`
	After      string   `json:"after"`
	Change     string   `json:"change"`
	Accessible []string `json:"accessible"`
}

type whatIfStressJSON struct {
	Scenario string               `json:"scenario"`
	Name     string               `json:"name"`
	Before   whatIfStressSideJSON `json:"before"`
	After    whatIfStressSideJSON `json:"after"`
}

func whatIfStressSide(r *stress.Result, scale int32) whatIfStressSideJSON {
	out := whatIfStressSideJSON{NetWorth: jsonFixed(r.Before, scale), After: jsonFixed(r.After, scale), Change: jsonFixed(r.Change(), scale), Accessible: []string{}}
	for _, a := range r.Accessible {
		out.Accessible = append(out.Accessible, jsonFixed(a, scale))
	}
	return out
}

type whatIfJSON struct {
	Name      string              `json:"name"`
	Note      string              `json:"note"`
	Unit      string              `json:"unit"`
	AsOf      *string             `json:"as_of"`
	Trades    []tradeJSON         `json:"trades"`
	Cost      string              `json:"total_cost"`
	Targets   []targetWeightsJSON `json:"targets"`
	Before    analyzeOutJSON      `json:"before"`
	After     analyzeOutJSON      `json:"after"`
	GainFIFO  string              `json:"realised_gain_fifo"`
	GainHIFO  string              `json:"realised_gain_hifo"`
	Stress    []whatIfStressJSON  `json:"stress"`
	StressErr *string             `json:"stress_error"`
}

func whatIfJSONOf(c *rebalance.Comparison) whatIfJSON {
	w := c.WhatIf
	sc := w.Unit.Scale()
	fifo, hifo := gainsOf(w.Trades)
	out := whatIfJSON{Name: w.Name, Note: w.Note, Unit: string(w.Unit), AsOf: jsonTime(w.AsOf), Trades: tradesJSONOf(w.Before, w.Trades, sc),
		Cost: jsonFixed(w.Cost, sc), Targets: []targetWeightsJSON{}, Before: analyzeJSON(c.Before), After: analyzeJSON(c.After),
		GainFIFO: jsonFixed(fifo, sc), GainHIFO: jsonFixed(hifo, sc)}
	out.Stress = []whatIfStressJSON{}
	for _, r := range c.Stress {
		out.Stress = append(out.Stress, whatIfStressJSON{Scenario: r.Scenario.ID, Name: r.Scenario.Name,
			Before: whatIfStressSide(r.Before, sc), After: whatIfStressSide(r.After, sc)})
	}
	if c.StressErr != nil {
		out.StressErr = ptr(c.StressErr.Error())
	}
	for _, t := range c.Targets {
		out.Targets = append(out.Targets, targetWeightsJSON{Key: t.Target.Key, Target: jsonWeight(t.Target.Weight), Before: jsonWeight(t.Before), After: jsonWeight(t.After)})
	}
	return out
}
