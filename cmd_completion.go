package main

import (
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/portfolio/store"
)

// Dynamic shell completion. Cobra's "completion" command writes the bash,
// zsh, fish and PowerShell scripts; they call back into hardfolio for
// holding IDs, custodian IDs, units, currencies and assets. Completion
// never prompts and never writes: it reads the portfolio file directly, or
// the demo, and an encrypted file only when HARDFOLIO_PASSPHRASE is set.

// peek reads the portfolio for completion, or returns nil when it cannot
// be read without asking anything.
func (g *globals) peek() *portfolio.Portfolio {
	if g.demo {
		return portfolio.Demo(g.now())
	}
	path := filepath.Join(g.dir(), book.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	if p, err := portfolio.Decode(path, data); err == nil {
		return p
	}
	if os.Getenv(book.PassphraseEnv) == "" {
		return nil
	}
	b, err := book.Open(g.dir(), book.Options{Passphrase: store.PassphraseFromEnv(book.PassphraseEnv)})
	if err != nil {
		return nil
	}
	defer b.Close()
	return b.Portfolio()
}

// fixedCompletion completes one of a fixed list of words.
func fixedCompletion(words ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeHoldingIDs completes holding IDs not already on the command
// line, described by their labels; "edit" takes only one.
func (g *globals) completeHoldingIDs(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if cmd.Name() == "edit" && len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	p := g.peek()
	if p == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, h := range p.Holdings {
		if !slices.Contains(args, h.ID) {
			out = append(out, h.ID+"\t"+h.Label())
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeCustodianIDs completes custodian IDs, described by their names;
// as a positional argument of "edit", only one.
func (g *globals) completeCustodianIDs(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if cmd.Name() == "edit" && cmd.Parent() != nil && cmd.Parent().Name() == "custodians" && len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	p := g.peek()
	if p == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, c := range p.Custodians {
		if !slices.Contains(args, c.ID) {
			out = append(out, c.ID+"\t"+c.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// commonCurrencies are offered even before the portfolio uses them.
var commonCurrencies = []string{"USD", "EUR", "CHF", "GBP", "JPY", "CAD", "AUD"}

// currencies lists the currencies the portfolio uses, then common ones.
func currencies(p *portfolio.Portfolio) []string {
	seen := map[string]bool{}
	var used []string
	addCur := func(c string) {
		if portfolio.CheckCurrency(c) == nil && !seen[c] {
			seen[c] = true
			used = append(used, c)
		}
	}
	if p != nil {
		addCur(string(p.DefaultUnit()))
		for _, h := range p.Holdings {
			addCur(h.Currency)
		}
		for _, pr := range p.Prices {
			addCur(pr.Currency)
		}
		for _, r := range p.FX {
			addCur(r.Base)
			addCur(r.Quote)
		}
	}
	sort.Strings(used)
	for _, c := range commonCurrencies {
		addCur(c)
	}
	return used
}

func (g *globals) completeCurrencies(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return currencies(g.peek()), cobra.ShellCompDirectiveNoFileComp
}

// completeUnits completes valuation units: BTC, sats, gold ounces, then
// currencies.
func (g *globals) completeUnits(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	out := []string{"BTC\tbitcoin", "SAT\tsatoshis", "XAU\ttroy ounces of fine gold"}
	out = append(out, currencies(g.peek())...)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// assets lists what can have a price: BTC, XAU, the tickers and symbols of
// the holdings and the assets already in the price book.
func assets(p *portfolio.Portfolio) []string {
	out := []string{"BTC", "XAU"}
	if p == nil {
		return out
	}
	for _, h := range p.Holdings {
		if h.Ticker != "" && !slices.Contains(out, h.Ticker) {
			out = append(out, h.Ticker)
		}
	}
	for _, pr := range p.Prices {
		if !slices.Contains(out, pr.Asset) {
			out = append(out, pr.Asset)
		}
	}
	return out
}

func (g *globals) completeAssets(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return assets(g.peek()), cobra.ShellCompDirectiveNoFileComp
}

// completePriceArgs completes "prices set ASSET PRICE CURRENCY": an asset
// or a currency (for an FX rate) first, a currency last.
func (g *globals) completePriceArgs(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		p := g.peek()
		return append(assets(p), currencies(p)...), cobra.ShellCompDirectiveNoFileComp
	case 2:
		return currencies(g.peek()), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}
