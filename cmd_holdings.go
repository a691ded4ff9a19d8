package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// newHoldingsCmd is "hardfolio holdings": list, add, edit and remove
// holdings. Every change goes through the portfolio's With... methods and
// book.Save, so an invalid portfolio is never written.
func newHoldingsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "holdings",
		Aliases: []string{"holding"},
		Short:   "List, add, edit and remove holdings",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newHoldingsListCmd(g), newHoldingsAddCmd(g), newHoldingsEditCmd(g), newHoldingsRmCmd(g))
	return cmd
}

// holdingFlags are the flags that set a holding's fields. Each flag sets the
// file field of the same name with '-' for '_' (docs/cli.md lists them).
type holdingFlags struct {
	kind, id, name, custodian, notes string
	// bitcoin
	sats int64
	btc  decimal.Decimal
	// physical gold
	weight     decimal.Decimal
	weightUnit string
	fineness   decimal.Decimal
	pieces     int64
	form       string
	serial     string
	// gold ETF
	ticker         string
	shares         decimal.Decimal
	ozPerShare     decimal.Decimal
	ozPerShareDate time.Time
	expenseRatio   decimal.Decimal
	issuer         string
	// cash
	currency string
	amount   decimal.Decimal
	// other assets
	symbol     string
	units      decimal.Decimal
	assetClass string
}

// holdingFlagKind says which kind of holding each kind-specific flag
// applies to.
var holdingFlagKind = map[string]portfolio.Kind{
	"sats": portfolio.KindBTC, "btc": portfolio.KindBTC,
	"weight": portfolio.KindGold, "weight-unit": portfolio.KindGold, "fineness": portfolio.KindGold,
	"pieces": portfolio.KindGold, "form": portfolio.KindGold, "serial": portfolio.KindGold,
	"ticker": portfolio.KindETF, "shares": portfolio.KindETF, "oz-per-share": portfolio.KindETF,
	"oz-per-share-date": portfolio.KindETF, "expense-ratio": portfolio.KindETF, "issuer": portfolio.KindETF,
	"currency": portfolio.KindCash, "amount": portfolio.KindCash,
	"symbol": portfolio.KindOther, "units": portfolio.KindOther, "asset-class": portfolio.KindOther,
}

func (f *holdingFlags) register(g *globals, cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.kind, "kind", "", "kind of asset: btc, gold, etf, cash or other")
	fs.StringVar(&f.id, "id", "", "holding ID (lower-case letters, digits, '.', '_', '-')")
	fs.StringVar(&f.name, "name", "", "a label, e.g. \"Krugerrand 1 oz\"")
	fs.StringVar(&f.custodian, "custodian", "", "ID of the custodian holding it (see: hardfolio custodians list)")
	fs.StringVar(&f.notes, "notes", "", "free notes")

	fs.Int64Var(&f.sats, "sats", 0, "btc: amount in satoshis")
	fs.Var(decimalFlag{&f.btc}, "btc", "btc: amount in BTC (at most 8 decimals), instead of --sats")

	fs.Var(decimalFlag{&f.weight}, "weight", "gold: gross weight of one piece")
	fs.StringVar(&f.weightUnit, "weight-unit", "", "gold: unit of --weight: oz (troy), g, kg or tael (default oz when adding)")
	fs.Var(decimalFlag{&f.fineness}, "fineness", "gold: fine gold share, above 0 and at most 1 (0.9999, 0.9167)")
	fs.Int64Var(&f.pieces, "pieces", 0, "gold: number of pieces (default 1 when adding)")
	fs.StringVar(&f.form, "form", "", "gold: coin or bar")
	fs.StringVar(&f.serial, "serial", "", "gold: serial number of a bar")

	fs.StringVar(&f.ticker, "ticker", "", "etf: ticker the price book quotes, e.g. GLD")
	fs.Var(decimalFlag{&f.shares}, "shares", "etf: number of shares")
	fs.Var(decimalFlag{&f.ozPerShare}, "oz-per-share", "etf: fine troy ounces per share, as published")
	fs.Var(dateFlag{&f.ozPerShareDate}, "oz-per-share-date", "etf: date of --oz-per-share (YYYY-MM-DD)")
	fs.Var(decimalFlag{&f.expenseRatio}, "expense-ratio", "etf: annual expense ratio as a fraction (0.004 for 0.40%)")
	fs.StringVar(&f.issuer, "issuer", "", "etf: custodian ID of the ETF trust (optional)")

	fs.StringVar(&f.currency, "currency", "", "cash: ISO 4217 currency code")
	fs.Var(decimalFlag{&f.amount}, "amount", "cash: amount in --currency")

	fs.StringVar(&f.symbol, "symbol", "", "other: symbol the price book quotes")
	fs.Var(decimalFlag{&f.units}, "units", "other: number of units")
	fs.StringVar(&f.assetClass, "asset-class", "", "other: class label, e.g. \"equity fund\"")

	cmd.MarkFlagsMutuallyExclusive("sats", "btc")
	_ = cmd.RegisterFlagCompletionFunc("kind", fixedCompletion(kindNames()...))
	_ = cmd.RegisterFlagCompletionFunc("custodian", g.completeCustodianIDs)
	_ = cmd.RegisterFlagCompletionFunc("issuer", g.completeCustodianIDs)
	_ = cmd.RegisterFlagCompletionFunc("weight-unit", fixedCompletion("oz", "g", "kg", "tael"))
	_ = cmd.RegisterFlagCompletionFunc("form", fixedCompletion("coin", "bar"))
	_ = cmd.RegisterFlagCompletionFunc("currency", g.completeCurrencies)
	_ = cmd.RegisterFlagCompletionFunc("ticker", g.completeAssets)
	_ = cmd.RegisterFlagCompletionFunc("symbol", g.completeAssets)
}

func kindNames() []string {
	out := make([]string, len(portfolio.Kinds))
	for i, k := range portfolio.Kinds {
		out[i] = string(k)
	}
	return out
}

// apply sets the fields of h whose flags were given on the command line and
// leaves the others as they are. It fails for a flag that does not apply
// to the holding's kind (after --kind), naming the flag.
func (f *holdingFlags) apply(fs *pflag.FlagSet, h *portfolio.Holding) error {
	set := fs.Changed
	if set("kind") {
		k := portfolio.Kind(strings.ToLower(strings.TrimSpace(f.kind)))
		if !slices.Contains(portfolio.Kinds, k) {
			return fmt.Errorf("--kind: unknown kind %q: want btc, gold, etf, cash or other", f.kind)
		}
		h.Kind = k
	}
	var wrong []string
	fs.Visit(func(fl *pflag.Flag) {
		if k, ok := holdingFlagKind[fl.Name]; ok && k != h.Kind {
			wrong = append(wrong, fmt.Sprintf("--%s applies to %s holdings, not to a %s holding", fl.Name, k, h.Kind))
		}
	})
	if len(wrong) > 0 {
		return errors.New(strings.Join(wrong, "\n"))
	}
	if set("id") {
		h.ID = strings.TrimSpace(f.id)
	}
	if set("name") {
		h.Name = f.name
	}
	if set("custodian") {
		h.Custodian = strings.TrimSpace(f.custodian)
	}
	if set("notes") {
		h.Notes = f.notes
	}
	if set("sats") {
		h.Sats = f.sats
	}
	if set("btc") {
		sats := f.btc.Shift(8)
		if !sats.IsInteger() {
			return fmt.Errorf("--btc: %s has more than 8 decimal places (1 sat = 0.00000001 BTC)", f.btc)
		}
		h.Sats = sats.IntPart()
	}
	if set("weight") {
		h.Weight = f.weight
	}
	if set("weight-unit") {
		u, err := portfolio.ParseWeightUnit(strings.ToLower(strings.TrimSpace(f.weightUnit)))
		if err != nil {
			return fmt.Errorf("--weight-unit: %w", err)
		}
		h.WeightUnit = u
	}
	if set("fineness") {
		h.Fineness = f.fineness
	}
	if set("pieces") {
		h.Pieces = f.pieces
	}
	if set("form") {
		h.Form = portfolio.GoldForm(strings.ToLower(strings.TrimSpace(f.form)))
	}
	if set("serial") {
		h.Serial = f.serial
	}
	if set("ticker") {
		h.Ticker = strings.ToUpper(strings.TrimSpace(f.ticker))
	}
	if set("shares") {
		h.Units = f.shares
	}
	if set("oz-per-share") {
		h.OzPerShare = f.ozPerShare
	}
	if set("oz-per-share-date") {
		h.OzPerShareDate = f.ozPerShareDate
	}
	if set("expense-ratio") {
		h.ExpenseRatio = f.expenseRatio
	}
	if set("issuer") {
		h.Issuer = strings.TrimSpace(f.issuer)
	}
	if set("currency") {
		h.Currency = strings.ToUpper(strings.TrimSpace(f.currency))
	}
	if set("amount") {
		h.Amount = f.amount
	}
	if set("symbol") {
		h.Ticker = strings.ToUpper(strings.TrimSpace(f.symbol))
	}
	if set("units") {
		h.Units = f.units
	}
	if set("asset-class") {
		h.AssetClass = f.assetClass
	}
	return nil
}

// anyLocalFlag reports whether a flag of cmd itself (not a global one) was
// given.
func anyLocalFlag(cmd *cobra.Command) bool {
	found := false
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if cmd.LocalNonPersistentFlags().Lookup(fl.Name) != nil {
			found = true
		}
	})
	return found
}

// renames says which flag the user gave for a field that two flags set.
func (f *holdingFlags) renames(fs *pflag.FlagSet) map[string]string {
	if fs.Changed("btc") {
		return map[string]string{"sats": "btc"}
	}
	return nil
}

// defaultHoldingID proposes an ID for a new holding from what it is and
// who holds it: btc-ledger, eur-sparkasse, gld, or the name for gold.
func defaultHoldingID(p *portfolio.Portfolio, h *portfolio.Holding) string {
	var base string
	switch h.Kind {
	case portfolio.KindBTC:
		base = "btc-" + h.Custodian
	case portfolio.KindGold:
		base = h.Name
		if base == "" {
			base = "gold-" + h.Custodian
		}
	case portfolio.KindETF, portfolio.KindOther:
		base = h.Ticker
	case portfolio.KindCash:
		base = h.Currency + "-" + h.Custodian
	}
	return p.NewHoldingID(base)
}

// newHoldingsAddCmd is "holdings add": a holding from flags, with a
// proposed ID unless --id is given.
func newHoldingsAddCmd(g *globals) *cobra.Command {
	f := &holdingFlags{}
	cmd := &cobra.Command{
		Use:   "add --kind KIND --custodian ID [flags]",
		Short: "Add a holding",
		Long: `Add a holding. --kind and --custodian are required, and the flags of the
kind say how much: --sats or --btc for btc; --weight, --fineness, --form
(and --weight-unit, --pieces) for gold; --ticker, --shares, --oz-per-share,
--oz-per-share-date (and --expense-ratio, --issuer) for etf; --currency and
--amount for cash; --symbol and --units for other. Without --id, an unused
ID is made from the asset and the custodian.`,
		Example: `  hardfolio custodians add --id ledger --name "Ledger Nano" --kind hardware_wallet --jurisdiction CH
  hardfolio holdings add --kind btc --custodian ledger --btc 0.5
  hardfolio holdings add --kind gold --custodian safe --name "Maple Leaf 1 oz" --weight 1 --fineness 0.9999 --form coin --pieces 5
  hardfolio holdings add --kind cash --custodian bank --currency CHF --amount 25000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.demo {
				return book.ErrDemo
			}
			if !cmd.Flags().Changed("kind") {
				return errors.New("--kind is required: btc, gold, etf, cash or other")
			}
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			if !cmd.Flags().Changed("custodian") && len(p.Custodians) == 0 {
				return fmt.Errorf("--custodian is required, and %s has no custodians yet: add one first with \"hardfolio custodians add\"", b.Path())
			}
			h := portfolio.Holding{}
			if err := f.apply(cmd.Flags(), &h); err != nil {
				return err
			}
			if h.Kind == portfolio.KindGold {
				if h.WeightUnit == "" {
					h.WeightUnit = portfolio.TroyOunce
				}
				if h.Pieces == 0 && !cmd.Flags().Changed("pieces") {
					h.Pieces = 1
				}
			}
			if h.ID == "" {
				h.ID = defaultHoldingID(p, &h)
			}
			q, err := p.WithHolding(h, false)
			if err != nil {
				return fieldErrorsAsFlags(err, "holding", h.ID, f.renames(cmd.Flags()))
			}
			if err := b.Save(q); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added holding %s: %s, %s at %s\n", h.ID, h.Label(), h.QuantityString(), h.Custodian)
			return nil
		},
	}
	f.register(g, cmd)
	return cmd
}

// newHoldingsEditCmd is "holdings edit ID": the given flags change their
// fields, the others stay.
func newHoldingsEditCmd(g *globals) *cobra.Command {
	f := &holdingFlags{}
	cmd := &cobra.Command{
		Use:   "edit ID [flags]",
		Short: "Change a holding: only the fields whose flags are given change",
		Long: `Change a holding. Only the fields whose flags are given change; --id
renames it. The flags are those of "holdings add".`,
		Example:           `  hardfolio holdings edit btc-ledger --sats 130000000`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeHoldingIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.demo {
				return book.ErrDemo
			}
			if !anyLocalFlag(cmd) {
				return errors.New("nothing to change: give the flags of the fields to change (see --help)")
			}
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			i := p.HoldingIndex(args[0])
			if i < 0 {
				return fmt.Errorf("%s: no holding with ID %q (see: hardfolio holdings list)", b.Path(), args[0])
			}
			q := p.Clone()
			h := &q.Holdings[i]
			if err := f.apply(cmd.Flags(), h); err != nil {
				return err
			}
			if h.ID != args[0] && p.HoldingIndex(h.ID) >= 0 {
				return fmt.Errorf("holding %q: --id: a holding with ID %q exists already", args[0], h.ID)
			}
			if err := q.Validate(); err != nil {
				return fieldErrorsAsFlags(err, "holding", h.ID, f.renames(cmd.Flags()))
			}
			if err := b.Save(q); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "changed holding %s: %s, %s at %s\n", h.ID, h.Label(), h.QuantityString(), h.Custodian)
			return nil
		},
	}
	f.register(g, cmd)
	return cmd
}

// newHoldingsRmCmd is "holdings rm ID...": all the IDs or none.
func newHoldingsRmCmd(g *globals) *cobra.Command {
	return g.removeCmd("holding", "Remove holdings", "hardfolio holdings list",
		g.completeHoldingIDs, (*portfolio.Portfolio).WithoutHolding)
}

// removeCmd builds "rm ID...", removing each ID with remove and saving
// once: all the IDs or none. An unknown ID points at list, the command
// that shows the IDs.
func (g *globals) removeCmd(noun, short, list string, complete cobra.CompletionFunc,
	remove func(*portfolio.Portfolio, string) (*portfolio.Portfolio, error)) *cobra.Command {
	return &cobra.Command{
		Use:               "rm ID...",
		Aliases:           []string{"remove"},
		Short:             short,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			q := b.Portfolio()
			for _, id := range args {
				if q, err = remove(q, id); err != nil {
					if errors.Is(err, portfolio.ErrNoSuchID) {
						return fmt.Errorf("%s: no %s with ID %q (see: %s); nothing was removed", b.Path(), noun, id, list)
					}
					return fmt.Errorf("%w; nothing was removed", err)
				}
			}
			if err := b.Save(q); err != nil {
				return err
			}
			for _, id := range args {
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s %s\n", noun, id)
			}
			return nil
		},
	}
}

// newHoldingsListCmd is "holdings list": each holding valued in --unit.
func newHoldingsListCmd(g *globals) *cobra.Command {
	return g.valuationCmd(&cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List holdings with their value",
	}, func(v *portfolio.Valuation) any { return holdingsJSON(v) }, writeHoldingsText)
}

// valuationCmd completes cmd as a read command that values the portfolio
// in --unit (default: the portfolio's) and writes the result as JSON with
// --json, or as text.
func (g *globals) valuationCmd(cmd *cobra.Command, toJSON func(*portfolio.Valuation) any, text func(*cobra.Command, *portfolio.Valuation)) *cobra.Command {
	return g.valuationRunCmd(cmd, func(cmd *cobra.Command, v *portfolio.Valuation, asJSON bool) error {
		if asJSON {
			return writeJSON(cmd.OutOrStdout(), toJSON(v))
		}
		text(cmd, v)
		return nil
	})
}

// valuationRunCmd is valuationCmd for a command whose work on the
// valuation can fail: run gets the valuation and whether --json was given.
func (g *globals) valuationRunCmd(cmd *cobra.Command, run func(cmd *cobra.Command, v *portfolio.Valuation, asJSON bool) error) *cobra.Command {
	var asJSON bool
	var unitFlag string
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		b, err := g.open(cmd)
		if err != nil {
			return err
		}
		defer b.Close()
		p := b.Portfolio()
		unit, err := unitOf(p, unitFlag)
		if err != nil {
			return err
		}
		return run(cmd, portfolio.Valuate(p, unit, g.now()), asJSON)
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	addUnitFlag(g, cmd, &unitFlag)
	return cmd
}

// addUnitFlag registers --unit with its completion.
func addUnitFlag(g *globals, cmd *cobra.Command, unit *string) {
	cmd.Flags().StringVar(unit, "unit", "", "valuation unit: a currency (USD, EUR, CHF...), XAU (gold oz), BTC or sats (default: the portfolio's)")
	_ = cmd.RegisterFlagCompletionFunc("unit", g.completeUnits)
}

// unitOf is the valuation unit --unit asks for, or the portfolio's.
func unitOf(p *portfolio.Portfolio, flag string) (portfolio.Unit, error) {
	if flag == "" {
		return p.DefaultUnit(), nil
	}
	u, err := portfolio.ParseUnit(flag)
	if err != nil {
		return "", fmt.Errorf("--unit: %w", err)
	}
	return u, nil
}

func writeHoldingsText(cmd *cobra.Command, v *portfolio.Valuation) {
	w := cmd.OutOrStdout()
	p := v.Portfolio
	if len(p.Holdings) == 0 {
		fmt.Fprintln(w, "No holdings yet. Add one with: hardfolio holdings add")
		return
	}
	t := newTable("ID", "KIND", "NAME", "CUSTODIAN", "QUANTITY", "VALUE ("+v.Unit.Symbol()+")", "SHARE").alignRight(5, 6)
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		share := percent(l.Weight)
		if l.Unpriced {
			share = "-"
		}
		t.add(h.ID, string(h.Kind), h.Label(), h.Custodian, h.QuantityString(), lineValue(v, l), share)
	}
	t.write(w, "")
}

// lineValue shows a line's value for a table: the amount in the unit, or
// why there is none.
func lineValue(v *portfolio.Valuation, l portfolio.Line) string {
	if l.Unpriced {
		return "unpriced"
	}
	return portfolio.FormatDecimal(l.Value, v.Unit.Scale())
}

// holdingJSON is one holding in `holdings list --json`: its fields as in the
// portfolio file (only those of its kind) and its value.
type holdingJSON struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Label     string `json:"label"`
	Custodian string `json:"custodian"`

	Sats   *int64  `json:"sats,omitempty"`
	BTC    *string `json:"btc,omitempty"`
	Wallet *string `json:"wallet,omitempty"`

	Weight     *string `json:"weight,omitempty"`
	WeightUnit *string `json:"weight_unit,omitempty"`
	Fineness   *string `json:"fineness,omitempty"`
	Pieces     *int64  `json:"pieces,omitempty"`
	Form       *string `json:"form,omitempty"`
	Serial     *string `json:"serial,omitempty"`

	Ticker         *string `json:"ticker,omitempty"`
	Shares         *string `json:"shares,omitempty"`
	OzPerShare     *string `json:"oz_per_share,omitempty"`
	OzPerShareDate *string `json:"oz_per_share_date,omitempty"`
	ExpenseRatio   *string `json:"expense_ratio,omitempty"`
	Issuer         *string `json:"issuer,omitempty"`

	Currency *string `json:"currency,omitempty"`
	Amount   *string `json:"amount,omitempty"`

	Symbol     *string `json:"symbol,omitempty"`
	Units      *string `json:"units,omitempty"`
	AssetClass *string `json:"asset_class,omitempty"`

	FineOz *string `json:"fine_oz,omitempty"`

	Notes string    `json:"notes"`
	Lots  []lotJSON `json:"lots"`
	Value *string   `json:"value"`
	Share *string   `json:"share"`
}

type lotJSON struct {
	Date         *string `json:"date"`
	Quantity     string  `json:"quantity"`
	Cost         string  `json:"cost"`
	CostCurrency string  `json:"cost_currency"`
}

type holdingsListJSON struct {
	Unit     string        `json:"unit"`
	AsOf     *string       `json:"as_of"`
	Holdings []holdingJSON `json:"holdings"`
}

func ptr[T any](v T) *T { return &v }

func holdingsJSON(v *portfolio.Valuation) holdingsListJSON {
	out := holdingsListJSON{Unit: string(v.Unit), AsOf: jsonTime(v.AsOf), Holdings: []holdingJSON{}}
	for _, l := range v.Lines {
		h := &v.Portfolio.Holdings[l.Index]
		j := holdingJSON{ID: h.ID, Kind: string(h.Kind), Name: h.Name, Label: h.Label(), Custodian: h.Custodian, Notes: h.Notes, Lots: []lotJSON{}}
		switch h.Kind {
		case portfolio.KindBTC:
			j.Sats, j.BTC, j.Wallet = ptr(h.Sats), ptr(jsonFixed(h.BTC(), 8)), ptr(h.Wallet)
		case portfolio.KindGold:
			j.Weight, j.WeightUnit, j.Fineness = ptr(jsonDec(h.Weight)), ptr(string(h.WeightUnit)), ptr(jsonDec(h.Fineness))
			j.Pieces, j.Form, j.Serial = ptr(h.Pieces), ptr(string(h.Form)), ptr(h.Serial)
			j.FineOz = ptr(jsonOunces(h.FineOunces(v.AsOf)))
		case portfolio.KindETF:
			j.Ticker, j.Shares, j.OzPerShare = ptr(h.Ticker), ptr(jsonDec(h.Units)), ptr(jsonDec(h.OzPerShare))
			j.OzPerShareDate, j.ExpenseRatio, j.Issuer = jsonDate(h.OzPerShareDate), ptr(jsonDec(h.ExpenseRatio)), ptr(h.Issuer)
			j.FineOz = ptr(jsonOunces(h.FineOunces(v.AsOf)))
		case portfolio.KindCash:
			j.Currency, j.Amount = ptr(h.Currency), ptr(jsonDec(h.Amount))
		case portfolio.KindOther:
			j.Symbol, j.Units, j.AssetClass = ptr(h.Ticker), ptr(jsonDec(h.Units)), ptr(h.AssetClass)
		}
		for _, lot := range h.Lots {
			j.Lots = append(j.Lots, lotJSON{Date: jsonDate(lot.Date), Quantity: jsonDec(lot.Quantity), Cost: jsonDec(lot.Cost), CostCurrency: lot.CostCurrency})
		}
		if !l.Unpriced {
			j.Value, j.Share = ptr(jsonFixed(l.Value, v.Unit.Scale())), ptr(jsonWeight(l.Weight))
		}
		out.Holdings = append(out.Holdings, j)
	}
	return out
}
