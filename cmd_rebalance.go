package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/rebalance"
)

// rebalanceFlags are the plan options "rebalance" and "whatif --plan"
// share.
type rebalanceFlags struct {
	cash      string
	buyOnly   bool
	neverSell []string
	toBand    bool
	unit      string
}

func (f *rebalanceFlags) add(g *globals, cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.cash, "cash", "", `new cash to invest: "AMOUNT CURRENCY" (or AMOUNT with the currency as the argument)`)
	cmd.Flags().BoolVar(&f.buyOnly, "buy-only", false, "sell nothing: only buy, with the new cash")
	cmd.Flags().StringSliceVar(&f.neverSell, "never-sell", nil, "never sell this (a class, asset, ticker or holding ID); adds to the file's never_sell")
	cmd.Flags().BoolVar(&f.toBand, "to-band", false, "bring a target out of its band only back to the band's edge, not to the target")
	addUnitFlag(g, cmd, &f.unit)
}

// options reads the flags; args may hold the currency of --cash.
func (f *rebalanceFlags) options(p *portfolio.Portfolio, args []string) (rebalance.Options, []string, error) {
	opt := rebalance.Options{BuyOnly: f.buyOnly, NeverSell: f.neverSell, ToBand: f.toBand}
	u, err := unitOf(p, f.unit)
	if err != nil {
		return opt, args, err
	}
	opt.Unit = u
	if f.cash != "" {
		text := f.cash
		if len(strings.Fields(text)) == 1 && len(args) > 0 && portfolio.CheckCurrency(strings.ToUpper(args[0])) == nil {
			text, args = text+" "+args[0], args[1:]
		}
		amt, cur, err := rebalance.ParseAmount(text)
		if err != nil {
			return opt, args, fmt.Errorf("--cash: %w", err)
		}
		if amt.IsZero() {
			return opt, args, fmt.Errorf(`--cash %q: want a positive amount, such as --cash "10000 EUR"`, f.cash)
		}
		opt.Cash, opt.CashCurrency = amt, cur
	}
	if f.buyOnly && opt.Cash.IsZero() {
		return opt, args, fmt.Errorf(`--buy-only needs new cash to buy with: add --cash "AMOUNT CURRENCY"`)
	}
	return opt, args, nil
}

// newRebalanceCmd is "hardfolio rebalance": drift against the targets and
// the trades that restore them.
func newRebalanceCmd(g *globals) *cobra.Command {
	var f rebalanceFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rebalance [CURRENCY]",
		Short: "Drift against the target allocation and the trades that restore it",
		Long: `Compare every target of the [rebalance] section (by asset class or by asset)
with its band, and when one is out of it (or new cash is given) plan the
trades that bring the portfolio back: sales and purchases in natural units
(sats, pieces, shares, currency), their costs per venue (on-chain fee of a
hardware-wallet leg, commission, dealer premium and spread, FX spread), the
gains each sale realises lot by lot under FIFO and under HIFO, and the
allocation after. --to-band brings a target that is out of its band only
back to the edge of the band, trading less. Nothing is changed: "hardfolio whatif --plan" compares the
plan's portfolio with today's and can apply it. docs/analytics.md states
the rules.`,
		Example: `  hardfolio rebalance
  hardfolio rebalance --cash "10000 EUR" --buy-only
  hardfolio rebalance --cash 5000 CHF --never-sell BTC
  hardfolio rebalance --to-band
  hardfolio rebalance --demo --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			p := b.Portfolio()
			opt, rest, err := f.options(p, args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return fmt.Errorf("unexpected argument %q: the only argument is the currency of --cash", rest[0])
			}
			opt.Now = g.now()
			pl, err := rebalance.NewPlan(p, opt)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), planJSONOf(p, pl))
			}
			writePlanText(cmd.OutOrStdout(), p, pl)
			return nil
		},
	}
	f.add(g, cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	cmd.AddCommand(newRebalanceTargetsCmd(g), newRebalanceCostsCmd(g), newRebalanceNeverSellCmd(g))
	return cmd
}

// newRebalanceTargetsCmd is "hardfolio rebalance targets": show or set the
// targets and the band.
func newRebalanceTargetsCmd(g *globals) *cobra.Command {
	var band string
	cmd := &cobra.Command{
		Use:   "targets [KEY=PERCENT...]",
		Short: "Show or set the target allocation and its band",
		Long: `Without arguments, list the targets. With arguments, replace them: each is
KEY=PERCENT, where KEY is an asset class (Bitcoin, Gold, Cash, Other) or an
asset (BTC, XAU, a currency code, a ticker). They must add up to 100%; the
error says by how much they miss. --band sets the band of every target:
ABS/REL in percent, such as 5/25 (5 percentage points or a quarter of the
target, whichever is narrower), 5 (points only) or /25 (relative only).`,
		Example: `  hardfolio rebalance targets
  hardfolio rebalance targets Bitcoin=30 Gold=45 Cash=25 --band 5/25
  hardfolio rebalance targets BTC=25 XAU=40 GLD=10 EUR=15 CHF=10`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && band == "" {
				b, err := g.open(cmd)
				if err != nil {
					return err
				}
				defer b.Close()
				writeTargetsText(cmd.OutOrStdout(), &b.Portfolio().Rebalance)
				return nil
			}
			q, err := g.edit(cmd, func(q *portfolio.Portfolio) error {
				if len(args) > 0 {
					ts, err := rebalance.ParseTargets(args)
					if err != nil {
						return err
					}
					q.Rebalance.Targets = ts
				}
				if band != "" {
					bd, err := rebalance.ParseBand(band)
					if err != nil {
						return fmt.Errorf("--band: %w", err)
					}
					q.Rebalance.Band = bd
				}
				return portfolio.CheckTargets(q.Rebalance.Targets, q.Rebalance.Band)
			})
			if err != nil {
				return err
			}
			writeTargetsText(cmd.OutOrStdout(), &q.Rebalance)
			return nil
		},
	}
	cmd.Flags().StringVar(&band, "band", "", "band of every target, ABS/REL in percent: 5/25, 5, /25")
	return cmd
}

func writeTargetsText(w io.Writer, s *portfolio.RebalanceSettings) {
	if len(s.Targets) == 0 {
		fmt.Fprintln(w, "No targets set. Set them with: hardfolio rebalance targets Bitcoin=30 Gold=45 Cash=25 --band 5/25")
		return
	}
	t := newTable("TARGET", "BY", "WEIGHT", "BAND").alignRight(2)
	for _, x := range s.Targets {
		b := s.Band
		if x.Band != nil {
			b = *x.Band
		}
		t.add(x.Key, string(x.By), percentPlain(x.Weight), b.String())
	}
	t.write(w, "")
}

// percentPlain is a share as a percentage with as many places as it has:
// "45%", "12.5%".
func percentPlain(w decimal.Decimal) string { return w.Shift(2).String() + "%" }

func writePlanText(w io.Writer, p *portfolio.Portfolio, pl *rebalance.Plan) {
	u := pl.Unit
	fmt.Fprintf(w, "Rebalancing %s in %s: net worth %s", orName(p.Name), u, u.Format(pl.Total))
	if pl.NewCash.Sign() > 0 {
		fmt.Fprintf(w, " + new cash %s", u.Format(pl.NewCash))
	}
	fmt.Fprintf(w, "; trades settle in %s", pl.Settlement)
	if pl.Options.ToBand {
		fmt.Fprint(w, "; out-of-band targets back to their band's edge")
	}
	fmt.Fprint(w, "\n\n")
	t := newTable("TARGET", "NOW", "TARGET", "DRIFT", "BAND", "", "AFTER").alignRight(1, 2, 3, 6)
	for _, g := range pl.Groups {
		t.add(g.Target.Key, percent(g.Weight), percent(g.Target.Weight), rebalance.Points(g.Drift), "±"+g.Width.Shift(2).StringFixed(2)+" pp", g.Status(), percent(g.WeightAfter))
	}
	t.write(w, "  ")
	fmt.Fprintln(w)
	if pl.InBands {
		fmt.Fprintln(w, "Every target is within its band: nothing to trade.")
		return
	}
	if len(pl.Trades) == 0 {
		fmt.Fprintln(w, "No trade is worth making.")
	} else {
		fmt.Fprintln(w, "Trades")
		writeTradesText(w, p, pl.Trades, u, pl.Cost)
	}
	writeGainsText(w, pl.Trades, u, pl.GainFIFO, pl.GainHIFO)
	for _, n := range pl.Notes {
		fmt.Fprintln(w, "Note: "+n)
	}
	fmt.Fprintf(w, "\nNet worth after: %s. Compare and apply: hardfolio whatif --plan\n", u.Format(pl.TotalAfter))
}

// writeTradesText is the table of trades of p, with their total cost.
func writeTradesText(w io.Writer, p *portfolio.Portfolio, trades []rebalance.Trade, u portfolio.Unit, cost decimal.Decimal) {
	t := newTable("", "HOLDING", "AMOUNT", "VALUE", "COST", "").alignRight(3, 4)
	for _, tr := range trades {
		h := &p.Holdings[p.HoldingIndex(tr.Holding)]
		t.add(tr.Side(), tr.Holding, tr.Amount(h), portfolio.FormatDecimal(tr.Value, u.Scale()), portfolio.FormatDecimal(tr.Cost, u.Scale()), tr.How())
	}
	t.rule()
	t.add("", "Total cost", "", "", portfolio.FormatDecimal(cost, u.Scale()), "")
	t.write(w, "  ")
}

func writeGainsText(w io.Writer, trades []rebalance.Trade, u portfolio.Unit, fifo, hifo decimal.Decimal) {
	any := false
	for _, tr := range trades {
		if tr.Gains != nil {
			any = true
		}
	}
	if !any {
		return
	}
	fmt.Fprintf(w, "\nRealised gains (lot costs in %s at today's rates): FIFO %s, HIFO %s\n", u, u.Format(fifo), u.Format(hifo))
	t := newTable("HOLDING", "METHOD", "LOT", "QUANTITY", "COST", "PROCEEDS", "GAIN").alignRight(3, 4, 5, 6)
	for _, tr := range trades {
		if tr.Gains == nil {
			continue
		}
		for _, m := range []struct {
			name string
			g    rebalance.LotGains
		}{{"FIFO", tr.Gains.FIFO}, {"HIFO", tr.Gains.HIFO}} {
			for _, s := range m.g.Sales {
				t.add(tr.Holding, m.name, s.Date.Format("2006-01-02"), s.Quantity.String(), portfolio.FormatDecimal(s.Cost, u.Scale()),
					portfolio.FormatDecimal(s.Proceeds, u.Scale()), portfolio.FormatDecimal(s.Gain, u.Scale()))
			}
			if m.g.NoBasis.Sign() > 0 {
				t.add(tr.Holding, m.name, "no lot recorded", m.g.NoBasis.String(), "", "", "unknown")
			}
		}
	}
	t.write(w, "  ")
}

func orName(name string) string {
	if name == "" {
		return "the portfolio"
	}
	return name
}

type groupJSON struct {
	By          string   `json:"by"`
	Key         string   `json:"key"`
	Target      string   `json:"target"`
	Band        string   `json:"band"`
	Value       string   `json:"value"`
	Weight      string   `json:"weight"`
	Drift       string   `json:"drift"`
	OutOfBand   bool     `json:"out_of_band"`
	NeverSell   bool     `json:"never_sell"`
	Holdings    []string `json:"holdings"`
	ValueAfter  string   `json:"value_after"`
	WeightAfter string   `json:"weight_after"`
}

type lotSaleJSON struct {
	Date     *string `json:"date"`
	Quantity string  `json:"quantity"`
	Cost     string  `json:"cost"`
	Proceeds string  `json:"proceeds"`
	Gain     string  `json:"gain"`
}

type lotGainsJSON struct {
	Gain    string        `json:"gain"`
	NoBasis string        `json:"no_basis_quantity"`
	Lots    []lotSaleJSON `json:"lots"`
}

type walletLegJSON struct {
	Direction string `json:"direction"`
	Custodian string `json:"custodian"`
	Wallet    string `json:"wallet"`
	FeeRate   string `json:"fee_rate"`
	VBytes    int64  `json:"vbytes"`
	FeeSats   int64  `json:"fee_sats"`
	FeeValue  string `json:"fee_value"`
}

type tradeJSON struct {
	Side     string         `json:"side"`
	Holding  string         `json:"holding"`
	Kind     string         `json:"kind"`
	Quantity string         `json:"quantity"`
	Sats     *int64         `json:"sats"`
	Amount   string         `json:"amount"`
	Value    string         `json:"value"`
	Cost     string         `json:"cost"`
	CostNote string         `json:"cost_note"`
	Wallet   *walletLegJSON `json:"wallet_leg"`
	FIFO     *lotGainsJSON  `json:"fifo"`
	HIFO     *lotGainsJSON  `json:"hifo"`
}

type planJSON struct {
	Name       string      `json:"name"`
	Unit       string      `json:"unit"`
	AsOf       *string     `json:"as_of"`
	Settlement string      `json:"settlement_currency"`
	NetWorth   string      `json:"net_worth"`
	NewCash    string      `json:"new_cash"`
	BuyOnly    bool        `json:"buy_only"`
	ToBand     bool        `json:"to_band"`
	InBands    bool        `json:"in_bands"`
	Targets    []groupJSON `json:"targets"`
	Trades     []tradeJSON `json:"trades"`
	Cost       string      `json:"total_cost"`
	GainFIFO   string      `json:"realised_gain_fifo"`
	GainHIFO   string      `json:"realised_gain_hifo"`
	After      string      `json:"net_worth_after"`
	Notes      []string    `json:"notes"`
}

func lotGainsJSONOf(g rebalance.LotGains, scale int32) *lotGainsJSON {
	out := &lotGainsJSON{Gain: jsonFixed(g.Gain, scale), NoBasis: jsonDec(g.NoBasis), Lots: []lotSaleJSON{}}
	for _, s := range g.Sales {
		out.Lots = append(out.Lots, lotSaleJSON{Date: jsonDate(s.Date), Quantity: jsonDec(s.Quantity), Cost: jsonFixed(s.Cost, scale),
			Proceeds: jsonFixed(s.Proceeds, scale), Gain: jsonFixed(s.Gain, scale)})
	}
	return out
}

func tradesJSONOf(p *portfolio.Portfolio, trades []rebalance.Trade, scale int32) []tradeJSON {
	out := []tradeJSON{}
	for _, tr := range trades {
		h := &p.Holdings[p.HoldingIndex(tr.Holding)]
		j := tradeJSON{Side: tr.Side(), Holding: tr.Holding, Kind: string(tr.Kind), Quantity: jsonDec(tr.Quantity), Amount: tr.Amount(h),
			Value: jsonFixed(tr.Value, scale), Cost: jsonFixed(tr.Cost, scale), CostNote: tr.CostNote}
		if tr.Kind == portfolio.KindBTC {
			s := tr.Quantity.Shift(8).IntPart()
			j.Sats = &s
		}
		if l := tr.Wallet; l != nil {
			dir := "in"
			if l.Out {
				dir = "out"
			}
			j.Wallet = &walletLegJSON{Direction: dir, Custodian: l.Custodian, Wallet: l.Wallet, FeeRate: jsonDec(l.FeeRate), VBytes: l.VBytes,
				FeeSats: l.FeeSats, FeeValue: jsonFixed(l.FeeValue, scale)}
		}
		if tr.Gains != nil {
			j.FIFO, j.HIFO = lotGainsJSONOf(tr.Gains.FIFO, scale), lotGainsJSONOf(tr.Gains.HIFO, scale)
		}
		out = append(out, j)
	}
	return out
}

func planJSONOf(p *portfolio.Portfolio, pl *rebalance.Plan) planJSON {
	sc := pl.Unit.Scale()
	out := planJSON{Name: p.Name, Unit: string(pl.Unit), AsOf: jsonTime(pl.AsOf), Settlement: pl.Settlement, NetWorth: jsonFixed(pl.Total, sc),
		NewCash: jsonFixed(pl.NewCash, sc), BuyOnly: pl.Options.BuyOnly, ToBand: pl.Options.ToBand, InBands: pl.InBands, Cost: jsonFixed(pl.Cost, sc),
		GainFIFO: jsonFixed(pl.GainFIFO, sc), GainHIFO: jsonFixed(pl.GainHIFO, sc), After: jsonFixed(pl.TotalAfter, sc), Notes: []string{}}
	out.Notes = append(out.Notes, pl.Notes...)
	for _, g := range pl.Groups {
		out.Targets = append(out.Targets, groupJSON{By: string(g.Target.By), Key: g.Target.Key, Target: jsonWeight(g.Target.Weight), Band: jsonWeight(g.Width),
			Value: jsonFixed(g.Value, sc), Weight: jsonWeight(g.Weight), Drift: jsonWeight(g.Drift), OutOfBand: g.OutOfBand, NeverSell: g.NeverSell,
			Holdings: append([]string{}, g.Holdings...), ValueAfter: jsonFixed(g.ValueAfter, sc), WeightAfter: jsonWeight(g.WeightAfter)})
	}
	out.Trades = tradesJSONOf(p, pl.Trades, sc)
	return out
}
