package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
)

// newStressCmd is "hardfolio stress": the scenario library (built-in and
// the portfolio file's) applied to the holdings.
func newStressCmd(g *globals) *cobra.Command {
	var id string
	var all bool
	cmd := &cobra.Command{
		Use:   "stress",
		Short: "Apply crisis scenarios (market moves and custody events) to the holdings",
		Long: `Apply stress scenarios to the portfolio: historical ones replay the bundled
monthly history over a window (1970s, Volcker, 2008, COVID, 2022...),
hypothetical ones apply stated shocks, and custody events freeze, lose,
bail in or confiscate the holdings they hit (exchange failure, Cyprus
bail-in, sanctions, 1933-style gold confiscation...). For each scenario:
the value before and after in the unit, the mark-to-market change, the
value you can still reach at day 0, 7, 30 and 365, every holding's part
and the worst-hit holdings. The portfolio file may add its own scenarios
([[scenario]], see docs/file-format.md). docs/analytics.md states every
convention.

Without --scenario or --all it prints one line per scenario.`,
		Example: `  hardfolio stress
  hardfolio stress --scenario exchange-failure
  hardfolio stress --all --unit XAU
  hardfolio stress --demo --scenario gfc-2008 --json`,
	}
	cmd.Flags().StringVar(&id, "scenario", "", "the scenario to detail, by ID (hardfolio stress lists them)")
	cmd.Flags().BoolVar(&all, "all", false, "detail every scenario")
	_ = cmd.RegisterFlagCompletionFunc("scenario", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var ids []string
		for _, s := range stress.Builtins() {
			ids = append(ids, s.ID+"\t"+s.Name)
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	})
	return g.valuationRunCmd(cmd, func(cmd *cobra.Command, v *portfolio.Valuation, asJSON bool) error {
		if id != "" && all {
			return errors.New("give --scenario or --all, not both")
		}
		var one *stress.Scenario
		if id != "" {
			s, err := stress.Find(v.Portfolio, id)
			if err != nil {
				return fmt.Errorf("--scenario: %w", err)
			}
			one = s
		}
		d, err := history.Load()
		if err != nil {
			return err
		}
		var rs []*stress.Result
		var failed []stress.Failure
		if one != nil {
			if rs, err = stress.RunAll(v, []stress.Scenario{*one}, d); err != nil {
				return err
			}
		} else {
			// A scenario of the file that cannot run does not hide the
			// others: it is reported apart.
			rs, failed = stress.RunEach(v, stress.Library(v.Portfolio), d)
		}
		if asJSON {
			return writeJSON(cmd.OutOrStdout(), stressJSON(v, rs, failed))
		}
		w := cmd.OutOrStdout()
		for _, f := range failed {
			fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: not run: %v\n", f.Err)
		}
		if id == "" && !all {
			writeStressSummary(w, v, rs)
			return nil
		}
		for i, r := range rs {
			if i > 0 {
				fmt.Fprintln(w)
			}
			writeStressDetail(w, r)
		}
		return nil
	})
}

type accessibleJSON struct {
	Day   int    `json:"day"`
	Value string `json:"value"`
}

type stressMoveJSON struct {
	Asset   string  `json:"asset"`
	Missing bool    `json:"missing"`
	History *string `json:"history_change"`
	Shock   string  `json:"shock"`
	InUnit  string  `json:"change_in_unit"`
}

type stressHoldingJSON struct {
	ID          string           `json:"id"`
	Label       string           `json:"label"`
	Kind        string           `json:"kind"`
	Custodian   string           `json:"custodian"`
	Follows     string           `json:"follows"`
	Growth      string           `json:"growth"`
	Before      string           `json:"before"`
	MarketAfter string           `json:"market_after"`
	After       string           `json:"after"`
	Accessible  []accessibleJSON `json:"accessible"`
	Events      []string         `json:"events"`
}

type lowJSON struct {
	Month    string  `json:"month"`
	Value    string  `json:"value"`
	Multiple float64 `json:"multiple"`
}

type scenarioJSON struct {
	ID           string              `json:"id"`
	Name         string              `json:"name"`
	Kind         string              `json:"kind"`
	Builtin      bool                `json:"builtin"`
	Description  string              `json:"description"`
	Source       string              `json:"source"`
	From         *string             `json:"from"`
	To           *string             `json:"to"`
	Parameters   []string            `json:"parameters"`
	Before       string              `json:"before"`
	MarketAfter  string              `json:"market_after"`
	MarketChange string              `json:"market_change"`
	After        string              `json:"after"`
	Change       string              `json:"change"`
	ChangeShare  string              `json:"change_share"`
	Accessible   []accessibleJSON    `json:"accessible"`
	Low          *lowJSON            `json:"low"`
	Assets       []stressMoveJSON    `json:"assets"`
	Holdings     []stressHoldingJSON `json:"holdings"`
	Worst        []string            `json:"worst"`
	Excluded     []excludedJSON      `json:"excluded"`
	Notes        []string            `json:"notes"`
}

type stressOutJSON struct {
	Name      string         `json:"name"`
	Unit      string         `json:"unit"`
	AsOf      *string        `json:"as_of"`
	NetWorth  string         `json:"net_worth"`
	Scenarios []scenarioJSON `json:"scenarios"`
	NotRun    []notRunJSON   `json:"not_run"`
}

type notRunJSON struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

func accessibleOut(acc [stress.NCheckpoints]decimal.Decimal, scale int32) []accessibleJSON {
	out := make([]accessibleJSON, stress.NCheckpoints)
	for k, day := range stress.Checkpoints {
		out[k] = accessibleJSON{Day: day, Value: jsonFixed(acc[k], scale)}
	}
	return out
}

func stressJSON(v *portfolio.Valuation, rs []*stress.Result, failed []stress.Failure) stressOutJSON {
	scale := v.Unit.Scale()
	out := stressOutJSON{Name: v.Portfolio.Name, Unit: string(v.Unit), AsOf: jsonTime(v.AsOf), NetWorth: jsonFixed(v.Total, scale), Scenarios: []scenarioJSON{}, NotRun: []notRunJSON{}}
	for _, f := range failed {
		out.NotRun = append(out.NotRun, notRunJSON{ID: f.ID, Error: f.Err.Error()})
	}
	for _, r := range rs {
		s := &r.Scenario
		j := scenarioJSON{
			ID: s.ID, Name: s.Name, Kind: stress.Kind(s), Builtin: stress.IsBuiltin(s.ID), Description: s.Description, Source: s.Source,
			Parameters: nonNil(stress.Parameters(s)),
			Before:     jsonFixed(r.Before, scale), MarketAfter: jsonFixed(r.MarketAfter, scale), MarketChange: jsonFixed(r.MarketChange(), scale),
			After: jsonFixed(r.After, scale), Change: jsonFixed(r.Change(), scale), ChangeShare: jsonWeight(stress.Share(r.Change(), r.Before)),
			Accessible: accessibleOut(r.Accessible, scale),
			Assets:     []stressMoveJSON{}, Holdings: []stressHoldingJSON{}, Worst: []string{}, Excluded: []excludedJSON{}, Notes: nonNil(r.Notes),
		}
		if s.Replay() {
			j.From, j.To = ptr(s.From), ptr(s.To)
		}
		if r.Low != nil {
			j.Low = &lowJSON{Month: r.Low.Month.String(), Value: jsonFixed(r.Low.Value, scale), Multiple: stat(r.Low.Multiple)}
		}
		for _, a := range r.Assets {
			m := stressMoveJSON{Asset: a.Asset, Missing: a.Missing, Shock: jsonDec(a.Shock), InUnit: jsonWeight(a.InUnit)}
			if s.Replay() && !a.Missing {
				m.History = ptr(jsonWeight(a.History))
			}
			j.Assets = append(j.Assets, m)
		}
		for _, h := range r.Holdings {
			j.Holdings = append(j.Holdings, stressHoldingJSON{ID: h.ID, Label: h.Label, Kind: string(h.Kind), Custodian: h.Custodian, Follows: h.Follows,
				Growth: jsonDec(h.Growth), Before: jsonFixed(h.Before, scale), MarketAfter: jsonFixed(h.MarketAfter, scale), After: jsonFixed(h.After, scale),
				Accessible: accessibleOut(h.Accessible, scale), Events: nonNil(h.Events)})
		}
		for _, i := range r.Worst {
			j.Worst = append(j.Worst, r.Holdings[i].ID)
		}
		for _, e := range r.Excluded {
			j.Excluded = append(j.Excluded, excludedJSON{ID: e.Holding, Reason: e.Reason})
		}
		out.Scenarios = append(out.Scenarios, j)
	}
	return out
}

// signedPercent shows a share as a signed percentage with one decimal.
func signedPercent(d decimal.Decimal) string {
	s := percent(d)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func writeStressSummary(w io.Writer, v *portfolio.Valuation, rs []*stress.Result) {
	name := v.Portfolio.Name
	if name == "" {
		name = "Portfolio"
	}
	fmt.Fprintf(w, "%s: net worth %s, stressed %s\n\n", name, v.Unit.Format(v.Total), timeString(v.AsOf))
	if v.Total.Sign() <= 0 {
		fmt.Fprintln(w, "Nothing with a value to stress yet.")
		if v.Unpriced > 0 {
			fmt.Fprintf(w, "%d holdings have no price in %s.\n", v.Unpriced, v.Unit)
		}
		return
	}
	sym := v.Unit.Symbol()
	t := newTable("SCENARIO", "KIND", "AFTER ("+sym+")", "CHANGE", "DAY 0", "DAY 7", "DAY 30", "DAY 365").alignRight(2, 3, 4, 5, 6, 7)
	scale := v.Unit.Scale()
	for _, r := range rs {
		row := []string{r.Scenario.ID, stress.Kind(&r.Scenario), portfolio.FormatDecimal(r.After, scale), signedPercent(stress.Share(r.Change(), r.Before))}
		for _, a := range r.Accessible {
			row = append(row, portfolio.FormatDecimal(a, scale))
		}
		t.add(row...)
	}
	t.write(w, "")
	fmt.Fprintln(w, "\nAFTER is what you own once the scenario has run its course; DAY n is what you can reach n days in,")
	fmt.Fprintln(w, "at the after-scenario prices. Details: hardfolio stress --scenario ID (or --all).")
}

func writeStressDetail(w io.Writer, r *stress.Result) {
	s := &r.Scenario
	u := r.Unit
	scale := u.Scale()
	kind := stress.Kind(s)
	if !stress.IsBuiltin(s.ID) {
		kind += ", from the portfolio file"
	}
	fmt.Fprintf(w, "%s: %s (%s)\n", s.ID, s.Name, kind)
	if s.Description != "" {
		fmt.Fprintf(w, "  %s\n", s.Description)
	}
	if s.Source != "" {
		fmt.Fprintf(w, "  Source: %s\n", s.Source)
	}
	for _, p := range stress.Parameters(s) {
		fmt.Fprintf(w, "  %s\n", p)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  Note: %s\n", n)
	}
	fmt.Fprintln(w)
	t := newTable("", "VALUE ("+u.Symbol()+")", "CHANGE").alignRight(1, 2)
	row := func(label string, x decimal.Decimal) {
		t.add(label, portfolio.FormatDecimal(x, scale), signedPercent(stress.Share(x.Sub(r.Before), r.Before)))
	}
	t.add("Before", portfolio.FormatDecimal(r.Before, scale), "")
	if r.Low != nil {
		row("Lowest on the way ("+r.Low.Month.String()+")", r.Low.Value)
	}
	row("After market moves", r.MarketAfter)
	row("After (owned at the end)", r.After)
	for k, day := range stress.Checkpoints {
		row(fmt.Sprintf("Accessible at day %d", day), r.Accessible[k])
	}
	t.write(w, "  ")

	if len(r.Assets) > 0 {
		fmt.Fprintln(w)
		at := newTable("ASSET", "HISTORY (USD)", "SHOCK", "IN "+string(u)).alignRight(1, 2, 3)
		for _, a := range r.Assets {
			hist := "-"
			switch {
			case a.Missing:
				hist = "no data"
			case s.Replay():
				hist = signedPercent(a.History)
			}
			shock := "-"
			if !a.Shock.IsZero() {
				shock = signedPercent(a.Shock)
			}
			at.add(a.Asset, hist, shock, signedPercent(a.InUnit))
		}
		at.write(w, "  ")
	}

	if len(r.Worst) > 0 {
		fmt.Fprintln(w, "\n  Worst hit (lost or out of reach at day 365)")
		for _, i := range r.Worst {
			h := &r.Holdings[i]
			fmt.Fprintf(w, "    %s: %s (%s)\n", h.ID, u.Format(h.Hit().Neg()), signedPercent(stress.Share(h.Hit().Neg(), h.Before)))
		}
	}

	fmt.Fprintln(w)
	ht := newTable("HOLDING", "FOLLOWS", "BEFORE", "AFTER", "DAY 0", "DAY 7", "DAY 30", "DAY 365", "EVENTS").alignRight(2, 3, 4, 5, 6, 7)
	for _, h := range r.Holdings {
		row := []string{h.ID, h.Follows, portfolio.FormatDecimal(h.Before, scale), portfolio.FormatDecimal(h.After, scale)}
		for _, a := range h.Accessible {
			row = append(row, portfolio.FormatDecimal(a, scale))
		}
		ev := strings.Join(h.Events, "; ")
		if ev == "" {
			ev = "-"
		}
		ht.add(append(row, ev)...)
	}
	ht.write(w, "  ")
	for _, e := range r.Excluded {
		fmt.Fprintf(w, "  left out: %s: %s\n", e.Holding, e.Reason)
	}
}
