package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// newPricesCmd is "hardfolio prices": the price book of asset prices and
// FX rates.
func newPricesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "prices",
		Aliases: []string{"price"},
		Short:   "Show and update the price book: asset prices and FX rates",
		Long: `The price book holds the latest price of each asset (BTC, XAU per troy
ounce, ETF tickers, other symbols) in a currency, and FX rates between
currencies. Every entry has the time it was observed; older than the
portfolio's stale_after setting (default 7 days), it is flagged stale.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPricesListCmd(g), newPricesSetCmd(g), newPricesImportCmd(g))
	return cmd
}

// newPricesSetCmd is "prices set ASSET PRICE CURRENCY": one price, or an
// FX rate when ASSET is a currency. An entry older than the book's is
// refused rather than silently ignored.
func newPricesSetCmd(g *globals) *cobra.Command {
	var timeFlag, source string
	cmd := &cobra.Command{
		Use:   "set ASSET PRICE CURRENCY",
		Short: "Set the price of an asset, or an FX rate when ASSET is a currency",
		Long: `Set the price of one unit of ASSET (BTC, XAU per troy ounce, a ticker or
symbol) in CURRENCY. When ASSET is itself a currency code, this sets an FX
rate: "prices set USD 0.865 EUR" says one USD is worth 0.865 EUR. The entry
replaces the book's entry for the same asset or currency pair, unless the
book's is newer.`,
		Example: `  hardfolio prices set BTC 81250 USD
  hardfolio prices set XAU 4180.50 USD --time 2026-11-21T17:00:00Z --source lbma
  hardfolio prices set USD 0.865 EUR`,
		Args:              cobra.ExactArgs(3),
		ValidArgsFunction: g.completePriceArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.demo {
				return book.ErrDemo
			}
			asset := strings.ToUpper(strings.TrimSpace(args[0]))
			if asset == "" {
				return errors.New("ASSET is empty")
			}
			value, err := decimal.NewFromString(strings.ReplaceAll(strings.TrimSpace(args[1]), "_", ""))
			if err != nil {
				return fmt.Errorf("PRICE: %q is not a decimal number", args[1])
			}
			if value.Sign() <= 0 {
				return fmt.Errorf("PRICE: must be greater than zero, got %s", value)
			}
			cur := strings.ToUpper(strings.TrimSpace(args[2]))
			if err := portfolio.CheckCurrency(cur); err != nil {
				return fmt.Errorf("CURRENCY: %w", err)
			}
			at := g.now().UTC().Truncate(time.Second)
			if cmd.Flags().Changed("time") {
				if at, err = portfolio.ParseTime(strings.TrimSpace(timeFlag)); err != nil {
					return fmt.Errorf("--time: %w", err)
				}
			}
			isFX := portfolio.CheckCurrency(asset) == nil
			if isFX && asset == cur {
				return fmt.Errorf("CURRENCY: an FX rate needs two different currencies, got %s twice", cur)
			}

			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			var prices []portfolio.Price
			var rates []portfolio.FXRate
			var what string
			if isFX {
				rates = []portfolio.FXRate{{Base: asset, Quote: cur, Rate: value, Time: at, Source: source}}
				what = fmt.Sprintf("FX rate: 1 %s = %s %s", asset, value, cur)
				if old, ok := fxOf(p, asset, cur); ok && at.Before(old.Time) {
					return fmt.Errorf("%s/%s: the price book has a newer rate (%s) than %s; nothing changed", asset, cur, timeString(old.Time), timeString(at))
				}
			} else {
				prices = []portfolio.Price{{Asset: asset, Value: value, Currency: cur, Time: at, Source: source}}
				what = fmt.Sprintf("price: 1 %s = %s %s", asset, value, cur)
				if old, ok := p.PriceOf(asset); ok && at.Before(old.Time) {
					return fmt.Errorf("%s: the price book has a newer price (%s) than %s; nothing changed", asset, timeString(old.Time), timeString(at))
				}
			}
			q, err := p.WithPrices(prices, rates)
			if err != nil {
				return err
			}
			if err := b.Save(q); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "set %s at %s\n", what, timeString(at))
			return nil
		},
	}
	cmd.Flags().StringVar(&timeFlag, "time", "", "when the price was observed: RFC 3339 or YYYY-MM-DD (default now)")
	cmd.Flags().StringVar(&source, "source", "manual", "where the price comes from")
	return cmd
}

// fxOf returns the book's rate between two currencies, in either direction.
func fxOf(p *portfolio.Portfolio, a, b string) (portfolio.FXRate, bool) {
	for _, r := range p.FX {
		if (r.Base == a && r.Quote == b) || (r.Base == b && r.Quote == a) {
			return r, true
		}
	}
	return portfolio.FXRate{}, false
}

// newPricesImportCmd is "prices import FILE.csv": all rows or none.
func newPricesImportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import prices and FX rates from CSV; one bad row and nothing changes",
		Long: `Import prices and FX rates from a CSV file with a header row naming the
columns asset, price, currency and time (any order, any case), and
optionally source. A row whose asset is a currency code is an FX rate. time
is RFC 3339 or a date (YYYY-MM-DD, 00:00 UTC). The whole file is checked
before anything changes: a bad row fails the import with its file, line and
field. An entry older than the book's for the same asset is skipped.`,
		Example: `  hardfolio prices import prices.csv

  asset,price,currency,time,source
  BTC,81250.00,USD,2026-11-22T21:00:00Z,kraken
  USD,0.865,EUR,2026-11-21,ecb`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			name := args[0]
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			prices, rates, err := portfolio.ParsePriceCSV(name, f)
			f.Close()
			if err != nil {
				return err
			}
			if len(prices)+len(rates) == 0 {
				return fmt.Errorf("%s: no prices: the file has a header row and nothing else", name)
			}
			p := b.Portfolio()
			q, err := p.WithPrices(prices, rates)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			// WithPrices keeps the book's entry when it is newer.
			keptPrices, keptRates := 0, 0
			for _, pr := range prices {
				if cur, ok := q.PriceOf(pr.Asset); ok && cur.Time.After(pr.Time) {
					keptPrices++
				}
			}
			for _, r := range rates {
				if cur, ok := fxOf(q, r.Base, r.Quote); ok && cur.Time.After(r.Time) {
					keptRates++
				}
			}
			if err := b.Save(q); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %s and %s from %s", plural(len(prices)-keptPrices, "price"), plural(len(rates)-keptRates, "FX rate"), name)
			if kept := keptPrices + keptRates; kept > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), " (%d skipped: the book's entry is newer)", kept)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
}

// priceJSON is one price-book entry with its age.
type priceJSON struct {
	Asset      string  `json:"asset"`
	Price      string  `json:"price"`
	Currency   string  `json:"currency"`
	Time       *string `json:"time"`
	AgeSeconds int64   `json:"age_seconds"`
	Stale      bool    `json:"stale"`
	Source     string  `json:"source"`
}

// fxJSON is one FX rate with its age.
type fxJSON struct {
	Base       string  `json:"base"`
	Quote      string  `json:"quote"`
	Rate       string  `json:"rate"`
	Time       *string `json:"time"`
	AgeSeconds int64   `json:"age_seconds"`
	Stale      bool    `json:"stale"`
	Source     string  `json:"source"`
}

type pricesListJSON struct {
	AsOf              *string     `json:"as_of"`
	StaleAfterSeconds int64       `json:"stale_after_seconds"`
	Prices            []priceJSON `json:"prices"`
	FX                []fxJSON    `json:"fx"`
}

// sortedFX returns the FX rates sorted by base, then quote.
func sortedFX(p *portfolio.Portfolio) []portfolio.FXRate {
	out := append([]portfolio.FXRate(nil), p.FX...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Base != out[j].Base {
			return out[i].Base < out[j].Base
		}
		return out[i].Quote < out[j].Quote
	})
	return out
}

// priceBookJSON lists the price book with ages measured at now.
func priceBookJSON(p *portfolio.Portfolio, now time.Time) ([]priceJSON, []fxJSON) {
	stale := p.StaleAfter()
	prices, rates := []priceJSON{}, []fxJSON{}
	for _, pr := range p.SortedPrices() {
		age := now.Sub(pr.Time)
		prices = append(prices, priceJSON{Asset: pr.Asset, Price: jsonDec(pr.Value), Currency: pr.Currency, Time: jsonTime(pr.Time),
			AgeSeconds: int64(age / time.Second), Stale: age > stale, Source: pr.Source})
	}
	for _, r := range sortedFX(p) {
		age := now.Sub(r.Time)
		rates = append(rates, fxJSON{Base: r.Base, Quote: r.Quote, Rate: jsonDec(r.Rate), Time: jsonTime(r.Time),
			AgeSeconds: int64(age / time.Second), Stale: age > stale, Source: r.Source})
	}
	return prices, rates
}

// exact shows a price or rate with all its digits, thousands separated,
// and at least minScale decimals.
func exact(d decimal.Decimal, minScale int32) string {
	scale := max(-d.Exponent(), minScale, 0)
	return portfolio.FormatDecimal(d, scale)
}

// writePriceBook writes the price book as two tables, with ages at now.
func writePriceBook(cmd *cobra.Command, p *portfolio.Portfolio, now time.Time, indent string) {
	w := cmd.OutOrStdout()
	staleAfter := p.StaleAfter()
	ageCell := func(t time.Time) string {
		age := now.Sub(t)
		if age > staleAfter {
			return ageString(age) + " STALE"
		}
		return ageString(age)
	}
	if len(p.Prices) == 0 && len(p.FX) == 0 {
		fmt.Fprintln(w, indent+"The price book is empty. Set a price with: hardfolio prices set BTC 81250 USD")
		return
	}
	if len(p.Prices) > 0 {
		t := newTable("ASSET", "PRICE", "CURRENCY", "TIME", "AGE", "SOURCE").alignRight(1)
		for _, pr := range p.SortedPrices() {
			t.add(pr.Asset, exact(pr.Value, portfolio.Unit(pr.Currency).Scale()), pr.Currency, timeString(pr.Time), ageCell(pr.Time), pr.Source)
		}
		t.write(w, indent)
	}
	if len(p.FX) > 0 {
		if len(p.Prices) > 0 {
			fmt.Fprintln(w)
		}
		t := newTable("FX", "RATE", "TIME", "AGE", "SOURCE").alignRight(1)
		for _, r := range sortedFX(p) {
			t.add("1 "+r.Base+" in "+r.Quote, exact(r.Rate, 0), timeString(r.Time), ageCell(r.Time), r.Source)
		}
		t.write(w, indent)
	}
}

// newPricesListCmd is "prices list", with every entry's age.
func newPricesListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the price book with each entry's age",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			now := g.now()
			if asJSON {
				prices, rates := priceBookJSON(p, now)
				return writeJSON(cmd.OutOrStdout(), pricesListJSON{AsOf: jsonTime(now), StaleAfterSeconds: int64(p.StaleAfter() / time.Second), Prices: prices, FX: rates})
			}
			writePriceBook(cmd, p, now, "")
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}
