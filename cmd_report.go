package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// newReportCmd is "hardfolio report": the valuation of the portfolio in
// one unit, as aligned tables or as JSON.
func newReportCmd(g *globals) *cobra.Command {
	return g.valuationCmd(&cobra.Command{
		Use:   "report",
		Short: "Net worth, every holding's value and share, allocation, gold ounces and price ages",
		Long: `Value the portfolio in one unit and report the net worth, every holding's
value and share of it, the allocation by asset class, custody kind,
custodian, jurisdiction and currency, the fine gold held (physical and ETF),
and the age of every price used, with stale and unpriced holdings counted.
Each holding's value is rounded to the unit's smallest unit and the net
worth is their exact sum; the text rounds shares for display only.`,
		Example: `  hardfolio report
  hardfolio report --unit sats
  hardfolio report --demo --json`,
	}, func(v *portfolio.Valuation) any { return reportJSON(v) }, writeReportText)
}

// reportLineJSON is one holding's valuation in the report.
type reportLineJSON struct {
	ID              string  `json:"id"`
	Label           string  `json:"label"`
	Kind            string  `json:"kind"`
	Class           string  `json:"class"`
	Custodian       string  `json:"custodian"`
	Value           *string `json:"value"`
	Share           *string `json:"share"`
	PricedIn        string  `json:"priced_in"`
	Exposure        string  `json:"exposure"`
	PriceTime       *string `json:"price_time"`
	PriceAgeSeconds *int64  `json:"price_age_seconds"`
	Stale           bool    `json:"stale"`
	Unpriced        bool    `json:"unpriced"`
	FineOz          string  `json:"fine_oz"`
}

type sliceJSON struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
	Share string `json:"share"`
	Count int    `json:"count"`
}

type allocationJSON struct {
	Dimension string      `json:"dimension"`
	Name      string      `json:"name"`
	Slices    []sliceJSON `json:"slices"`
}

type reportOutJSON struct {
	Name              string           `json:"name"`
	Unit              string           `json:"unit"`
	AsOf              *string          `json:"as_of"`
	NetWorth          string           `json:"net_worth"`
	GoldFineOz        string           `json:"gold_fine_oz"`
	StaleAfterSeconds int64            `json:"stale_after_seconds"`
	StaleCount        int              `json:"stale_count"`
	UnpricedCount     int              `json:"unpriced_count"`
	Holdings          []reportLineJSON `json:"holdings"`
	Allocation        []allocationJSON `json:"allocation"`
	Prices            []priceJSON      `json:"prices"`
	FX                []fxJSON         `json:"fx"`
}

func reportJSON(v *portfolio.Valuation) reportOutJSON {
	p := v.Portfolio
	scale := v.Unit.Scale()
	out := reportOutJSON{
		Name:              p.Name,
		Unit:              string(v.Unit),
		AsOf:              jsonTime(v.AsOf),
		NetWorth:          jsonFixed(v.Total, scale),
		GoldFineOz:        jsonOunces(p.TotalGoldOunces(v.AsOf)),
		StaleAfterSeconds: int64(p.StaleAfter() / time.Second),
		StaleCount:        v.Stale,
		UnpricedCount:     v.Unpriced,
		Holdings:          []reportLineJSON{},
		Allocation:        []allocationJSON{},
	}
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		j := reportLineJSON{ID: h.ID, Label: h.Label(), Kind: string(h.Kind), Class: h.Kind.Class(), Custodian: h.Custodian,
			PricedIn: l.Node, Exposure: l.Exposure, PriceTime: jsonTime(l.PriceTime), Stale: l.Stale, Unpriced: l.Unpriced,
			FineOz: jsonOunces(h.FineOunces(v.AsOf))}
		if !l.Unpriced {
			j.Value, j.Share = ptr(jsonFixed(l.Value, scale)), ptr(jsonWeight(l.Weight))
		}
		if !l.PriceTime.IsZero() {
			j.PriceAgeSeconds = ptr(int64(l.Age / time.Second))
		}
		out.Holdings = append(out.Holdings, j)
	}
	for _, d := range portfolio.Dimensions {
		a := allocationJSON{Dimension: d.Key(), Name: d.String(), Slices: []sliceJSON{}}
		for _, s := range v.Allocation(d) {
			a.Slices = append(a.Slices, sliceJSON{Key: s.Key, Label: s.Label, Value: jsonFixed(s.Value, scale), Share: jsonWeight(s.Weight), Count: s.Count})
		}
		out.Allocation = append(out.Allocation, a)
	}
	out.Prices, out.FX = priceBookJSON(p, v.AsOf)
	return out
}

func writeReportText(cmd *cobra.Command, v *portfolio.Valuation) {
	w := cmd.OutOrStdout()
	p := v.Portfolio
	scale := v.Unit.Scale()
	name := p.Name
	if name == "" {
		name = "Portfolio"
	}
	fmt.Fprintf(w, "%s: net worth %s\n", name, v.Unit.Format(v.Total))
	fmt.Fprintf(w, "as of %s: %s, %d valued with a stale price, %d unpriced\n\n", timeString(v.AsOf), plural(len(p.Holdings), "holding"), v.Stale, v.Unpriced)
	if len(p.Holdings) == 0 {
		fmt.Fprintln(w, "No holdings yet. Add a custodian, then a holding: hardfolio custodians add, hardfolio holdings add")
		return
	}

	// Holdings, in the order of the file.
	valueHead := "VALUE (" + v.Unit.Symbol() + ")"
	t := newTable("HOLDING", "NAME", "CUSTODIAN", "QUANTITY", valueHead, "SHARE", "PRICE AGE").alignRight(4, 5)
	staleAfter := p.StaleAfter()
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		share, age := percent(l.Weight), "-"
		switch {
		case l.Unpriced:
			share, age = "-", "no price"
		case !l.PriceTime.IsZero() && l.Age > staleAfter:
			age = ageString(l.Age) + " STALE"
		case !l.PriceTime.IsZero():
			age = ageString(l.Age)
		}
		t.add(h.ID, h.Label(), h.Custodian, h.QuantityString(), lineValue(v, l), share, age)
	}
	t.rule()
	totalShare := "-"
	if v.Total.Sign() > 0 {
		totalShare = "100.0%"
	}
	t.add("Net worth", "", "", "", portfolio.FormatDecimal(v.Total, scale), totalShare)
	t.write(w, "")

	// Allocation along every dimension.
	for _, d := range portfolio.Dimensions {
		fmt.Fprintln(w)
		at := newTable(strings.ToUpper(d.String()), valueHead, "SHARE", "HOLDINGS").alignRight(1, 2, 3)
		for _, s := range v.Allocation(d) {
			at.add(s.Label, portfolio.FormatDecimal(s.Value, scale), percent(s.Weight), fmt.Sprint(s.Count))
		}
		at.write(w, "")
	}

	fmt.Fprintf(w, "\nFine gold: %s (physical and ETF)\n", portfolio.UnitXAU.Format(p.TotalGoldOunces(v.AsOf)))
	fmt.Fprintf(w, "Prices older than %s are stale.\n\n", ageString(staleAfter))
	writePriceBook(cmd, p, v.AsOf, "")
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
