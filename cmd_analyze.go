package main

import (
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/analysis"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

// newAnalyzeCmd is "hardfolio analyze": concentration, single points of
// failure, warnings and the risk of the allocation from the bundled
// history.
func newAnalyzeCmd(g *globals) *cobra.Command {
	return g.valuationCmd(&cobra.Command{
		Use:   "analyze",
		Short: "Concentration, single points of failure, warnings and historical risk of the allocation",
		Long: `Analyse how the portfolio is spread and what it risks: concentration by
asset class, asset, custody kind, custodian, jurisdiction and currency
(shares, Herfindahl index, effective number), the single points of failure
in plain words, warnings against the limits in the portfolio file's
[analysis.limits] (or their defaults), and the risk of the current weights
from the bundled monthly history: volatility, correlations, each holding's
share of the risk, the diversification ratio, and the weights replayed over
history with their worst drawdown and worst 12 months. docs/analytics.md
states every formula.`,
		Example: `  hardfolio analyze
  hardfolio analyze --unit XAU
  hardfolio analyze --demo --json`,
	}, func(v *portfolio.Valuation) any { return analyzeJSON(runAnalysis(v)) }, writeAnalyzeText)
}

// runAnalysis analyses v with the bundled history; a history that fails
// to load leaves the risk figures out with the reason.
func runAnalysis(v *portfolio.Valuation) *analysis.Report {
	d, err := history.Load()
	r := analysis.Analyze(v, d)
	if err != nil {
		r.RiskErr = err
	}
	return r
}

type concentrationJSON struct {
	Dimension  string      `json:"dimension"`
	Name       string      `json:"name"`
	Herfindahl float64     `json:"herfindahl"`
	Effective  float64     `json:"effective_number"`
	Slices     []sliceJSON `json:"slices"`
}

type failureJSON struct {
	Kind     string   `json:"kind"`
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Value    string   `json:"value"`
	Share    string   `json:"share"`
	Holdings []string `json:"holdings"`
	Text     string   `json:"text"`
}

type warningJSON struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Limit    *string  `json:"limit"`
	Share    string   `json:"share"`
	Subject  string   `json:"subject"`
	Holdings []string `json:"holdings"`
	Text     string   `json:"text"`
}

type assetRiskJSON struct {
	Asset        string   `json:"asset"`
	Name         string   `json:"name"`
	Weight       float64  `json:"weight"`
	Volatility   float64  `json:"volatility"`
	MeanReturn   float64  `json:"mean_return"`
	Contribution *float64 `json:"contribution"`
}

type holdingRiskJSON struct {
	ID           string   `json:"id"`
	Label        string   `json:"label"`
	Asset        string   `json:"asset"`
	Proxy        bool     `json:"proxy"`
	Weight       float64  `json:"weight"`
	Contribution *float64 `json:"contribution"`
}

type drawdownJSON struct {
	Depth    float64 `json:"depth"`
	Peak     string  `json:"peak"`
	Trough   string  `json:"trough"`
	Recovery *string `json:"recovery"`
}

type periodJSON struct {
	Return float64 `json:"return"`
	From   string  `json:"from"`
	To     string  `json:"to"`
}

type excludedJSON struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

type riskJSON struct {
	Scope                string            `json:"scope"`
	Unit                 string            `json:"unit"`
	UnitNote             string            `json:"unit_note"`
	From                 string            `json:"from"`
	To                   string            `json:"to"`
	Months               int               `json:"months"`
	StartsWith           string            `json:"starts_with"`
	EndsWith             string            `json:"ends_with"`
	Window               string            `json:"window"`
	Volatility           float64           `json:"volatility"`
	DiversificationRatio *float64          `json:"diversification_ratio"`
	AnnualReturn         float64           `json:"annual_return"`
	MaxDrawdown          drawdownJSON      `json:"max_drawdown"`
	Worst12              *periodJSON       `json:"worst_12_months"`
	Assets               []assetRiskJSON   `json:"assets"`
	Correlation          [][]*float64      `json:"correlation"`
	Holdings             []holdingRiskJSON `json:"holdings"`
	Excluded             []excludedJSON    `json:"excluded"`
}

type analyzeOutJSON struct {
	Name           string              `json:"name"`
	Unit           string              `json:"unit"`
	AsOf           *string             `json:"as_of"`
	NetWorth       string              `json:"net_worth"`
	Concentration  []concentrationJSON `json:"concentration"`
	LargestFailure *failureJSON        `json:"largest_failure"`
	Failures       []failureJSON       `json:"failures"`
	Warnings       []warningJSON       `json:"warnings"`
	Risk           []riskJSON          `json:"risk"`
	RiskError      *string             `json:"risk_error"`
}

// stat rounds a statistic for JSON: six significant places are more than
// monthly data supports.
func stat(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	return math.Round(x*1e6) / 1e6
}

// statOrNull is stat, or null for an undefined statistic.
func statOrNull(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return ptr(stat(x))
}

func analyzeJSON(r *analysis.Report) analyzeOutJSON {
	v := r.Valuation
	scale := v.Unit.Scale()
	out := analyzeOutJSON{
		Name: v.Portfolio.Name, Unit: string(v.Unit), AsOf: jsonTime(v.AsOf), NetWorth: jsonFixed(v.Total, scale),
		Concentration: []concentrationJSON{}, Failures: []failureJSON{}, Warnings: []warningJSON{}, Risk: []riskJSON{},
	}
	for _, c := range r.Concentration {
		j := concentrationJSON{Dimension: c.Dimension.Key(), Name: c.Dimension.String(), Herfindahl: stat(c.Herfindahl), Effective: stat(c.Effective), Slices: []sliceJSON{}}
		for _, s := range c.Slices {
			j.Slices = append(j.Slices, sliceJSON{Key: s.Key, Label: s.Label, Value: jsonFixed(s.Value, scale), Share: jsonWeight(s.Weight), Count: s.Count})
		}
		out.Concentration = append(out.Concentration, j)
	}
	for _, f := range r.Failures {
		out.Failures = append(out.Failures, failureJSON{Kind: string(f.Kind), Key: f.Key, Label: f.Label, Value: jsonFixed(f.Value, scale),
			Share: jsonWeight(f.Share), Holdings: nonNil(f.Holdings), Text: f.Text})
	}
	if r.Largest >= 0 {
		out.LargestFailure = &out.Failures[r.Largest]
	}
	for _, w := range r.Warnings {
		j := warningJSON{Rule: w.Rule, Severity: string(w.Severity), Share: jsonWeight(w.Share), Subject: w.Subject, Holdings: nonNil(w.Holdings), Text: w.Text}
		if w.Limit.Valid {
			j.Limit = ptr(jsonWeight(w.Limit.Decimal))
		}
		out.Warnings = append(out.Warnings, j)
	}
	if r.Risk != nil {
		out.Risk = append(out.Risk, riskOutJSON("all", r.Risk))
	}
	if r.WithoutBTC != nil {
		out.Risk = append(out.Risk, riskOutJSON("without_btc", r.WithoutBTC))
	}
	if r.RiskErr != nil {
		out.RiskError = ptr(r.RiskErr.Error())
	}
	return out
}

func riskOutJSON(scope string, k *analysis.Risk) riskJSON {
	j := riskJSON{
		Scope: scope, Unit: string(k.Unit), UnitNote: k.UnitNote, From: k.From.String(), To: k.To.String(), Months: k.Months,
		StartsWith: string(k.StartsWith), EndsWith: string(k.EndsWith), Window: k.Window(),
		Volatility: stat(k.Volatility), DiversificationRatio: statOrNull(k.DiversificationRatio), AnnualReturn: stat(k.AnnualReturn),
		MaxDrawdown: drawdownJSON{Depth: stat(k.MaxDrawdown.Depth), Peak: k.MaxDrawdown.Peak.String(), Trough: k.MaxDrawdown.Trough.String()},
		Assets:      []assetRiskJSON{}, Correlation: [][]*float64{}, Holdings: []holdingRiskJSON{}, Excluded: []excludedJSON{},
	}
	if k.MaxDrawdown.Recovered {
		j.MaxDrawdown.Recovery = ptr(k.MaxDrawdown.Recovery.String())
	}
	if k.Worst12 != nil {
		j.Worst12 = &periodJSON{Return: stat(k.Worst12.Return), From: k.Worst12.From.String(), To: k.Worst12.To.String()}
	}
	for _, a := range k.Assets {
		j.Assets = append(j.Assets, assetRiskJSON{Asset: string(a.Asset), Name: a.Asset.Name(), Weight: stat(a.Weight),
			Volatility: stat(a.Volatility), MeanReturn: stat(a.MeanReturn), Contribution: statOrNull(a.Contribution)})
	}
	for _, row := range k.Correlation {
		jr := make([]*float64, len(row))
		for i, x := range row {
			jr[i] = statOrNull(x)
		}
		j.Correlation = append(j.Correlation, jr)
	}
	for _, h := range k.Holdings {
		j.Holdings = append(j.Holdings, holdingRiskJSON{ID: h.Holding, Label: h.Label, Asset: string(h.Asset), Proxy: h.Proxy,
			Weight: stat(h.Weight), Contribution: statOrNull(h.Contribution)})
	}
	for _, e := range k.Excluded {
		j.Excluded = append(j.Excluded, excludedJSON{ID: e.Holding, Reason: e.Reason})
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// pctf shows a float share as a percentage with one decimal.
func pctf(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

func writeAnalyzeText(cmd *cobra.Command, v *portfolio.Valuation) {
	w := cmd.OutOrStdout()
	r := runAnalysis(v)
	name := v.Portfolio.Name
	if name == "" {
		name = "Portfolio"
	}
	fmt.Fprintf(w, "%s: net worth %s, analysed %s\n", name, v.Unit.Format(v.Total), timeString(v.AsOf))
	if v.Total.Sign() <= 0 {
		fmt.Fprintln(w, "\nNothing with a value to analyse yet.")
		return
	}
	if r.Largest >= 0 {
		fmt.Fprintf(w, "\nLargest single point of failure: %s.\n", r.Failures[r.Largest].Text)
	}

	fmt.Fprintln(w, "\nWarnings")
	if len(r.Warnings) == 0 {
		fmt.Fprintln(w, "  none: every limit is met")
	}
	for _, wa := range r.Warnings {
		mark := "!"
		if wa.Severity == analysis.SeverityNote {
			mark = "i"
		}
		fmt.Fprintf(w, "  %s %s.\n", mark, wa.Text)
	}

	fmt.Fprintln(w, "\nPoints of failure")
	ft := newTable("SHARE", "KIND", "WHAT").alignRight(0)
	for _, f := range r.Failures {
		ft.add(percent(f.Share), string(f.Kind), f.Text)
	}
	ft.write(w, "  ")

	fmt.Fprintln(w, "\nConcentration")
	ct := newTable("DIMENSION", "GROUPS", "HHI", "EFFECTIVE", "LARGEST").alignRight(1, 2, 3)
	for _, c := range r.Concentration {
		largest := "-"
		if len(c.Slices) > 0 {
			largest = c.Slices[0].Label + " " + percent(c.Slices[0].Weight)
		}
		ct.add(c.Dimension.String(), fmt.Sprint(len(c.Slices)), fmt.Sprintf("%.3f", c.Herfindahl), fmt.Sprintf("%.2f", c.Effective), largest)
	}
	ct.write(w, "  ")

	if r.Risk == nil {
		fmt.Fprintf(w, "\nRisk: not measured: %v\n", r.RiskErr)
		return
	}
	writeRiskText(w, "Risk of the current weights", r.Risk)
	if r.WithoutBTC != nil {
		writeRiskText(w, "Without bitcoin (the rest reweighted to 100%), over a longer window", r.WithoutBTC)
	}
}

func writeRiskText(w io.Writer, title string, k *analysis.Risk) {
	fmt.Fprintf(w, "\n%s, in %s, rebalanced monthly\n", title, k.Unit)
	fmt.Fprintf(w, "  %s.\n", k.Window())
	if k.UnitNote != "" {
		fmt.Fprintf(w, "  Note: %s.\n", k.UnitNote)
	}
	dr := "-"
	if !math.IsNaN(k.DiversificationRatio) {
		dr = fmt.Sprintf("%.2f", k.DiversificationRatio)
	}
	fmt.Fprintf(w, "  Volatility %s a year; compound return %s a year; diversification ratio %s.\n", pctf(k.Volatility), pctf(k.AnnualReturn), dr)
	dd := k.MaxDrawdown
	rec := "not recovered by " + k.To.String()
	if dd.Recovered {
		rec = "recovered " + dd.Recovery.String()
	}
	fmt.Fprintf(w, "  Max drawdown %s: high %s, low %s, %s.\n", pctf(dd.Depth), dd.Peak, dd.Trough, rec)
	if k.Worst12 != nil {
		fmt.Fprintf(w, "  Worst 12 months %s: %s to %s.\n", pctf(k.Worst12.Return), k.Worst12.From, k.Worst12.To)
	}
	fmt.Fprintln(w)
	head := []string{"ASSET", "WEIGHT", "VOLATILITY", "RISK SHARE"}
	for _, a := range k.Assets {
		head = append(head, string(a.Asset))
	}
	at := newTable(head...).alignRight(1, 2, 3)
	for i, a := range k.Assets {
		row := []string{a.Asset.Name(), pctf(a.Weight), pctf(a.Volatility), pctf(a.Contribution)}
		for _, c := range k.Correlation[i] {
			if math.IsNaN(c) {
				row = append(row, "-")
			} else {
				row = append(row, fmt.Sprintf("%+.2f", c))
			}
		}
		at.add(row...)
	}
	at.write(w, "  ")
	fmt.Fprintln(w, "  (the columns after RISK SHARE are the correlations of monthly returns)")
	fmt.Fprintln(w)
	ht := newTable("HOLDING", "FOLLOWS", "WEIGHT", "RISK SHARE").alignRight(2, 3)
	for _, h := range k.Holdings {
		follows := h.Asset.Name()
		if h.Proxy {
			follows += " (proxy)"
		}
		ht.add(h.Holding, follows, pctf(h.Weight), pctf(h.Contribution))
	}
	ht.write(w, "  ")
	for _, e := range k.Excluded {
		fmt.Fprintf(w, "  left out: %s: %s\n", e.Holding, e.Reason)
	}
}
