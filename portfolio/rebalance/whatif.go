package rebalance

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// OversellError is a what-if that sells more of a holding than it holds.
type OversellError struct {
	Holding string
	Label   string
	Sell    string // what the what-if sells, with its unit
	Held    string // what the holding has
}

func (e *OversellError) Error() string {
	if e.Label == "" {
		return fmt.Sprintf("%s: the what-if sells %s but only %s is held", e.Holding, e.Sell, e.Held)
	}
	return fmt.Sprintf("%s (%s): the what-if sells %s but only %s is held", e.Holding, e.Label, e.Sell, e.Held)
}

// NoHoldingError is a trade naming a holding the portfolio does not have.
type NoHoldingError struct{ Holding string }

func (e *NoHoldingError) Error() string {
	return fmt.Sprintf("no holding %q in the portfolio", e.Holding)
}

// WhatIf is a set of trades applied to a copy of a portfolio: the
// portfolio before, the copy after, and the trades priced in Unit.
type WhatIf struct {
	Name   string
	Note   string
	Unit   portfolio.Unit
	AsOf   time.Time
	Trades []Trade
	Cost   decimal.Decimal
	Before *portfolio.Portfolio
	After  *portfolio.Portfolio

	// before is Before valued in Unit at AsOf, kept by the constructor
	// that had it so Compare and Saved do not value Before again.
	before *portfolio.Valuation
}

// valuationBefore is Before valued in Unit at AsOf: the constructor's,
// while it still fits the fields, else a new one.
func (w *WhatIf) valuationBefore() *portfolio.Valuation {
	if v := w.before; v != nil && v.Portfolio == w.Before && v.Unit == w.Unit && v.AsOf.Equal(w.AsOf) {
		return v
	}
	return portfolio.Valuate(w.Before, w.Unit, w.AsOf)
}

// Saved is the what-if as the portfolio file keeps it, named name.
func (w *WhatIf) Saved(name string) portfolio.WhatIf {
	pr := newPricer(w.Before, w.Unit, w.AsOf, "")
	settle := settlement(w.Before, w.valuationBefore(), "")
	return portfolio.WhatIf{Name: name, Created: portfolio.AsOfDate(w.AsOf), Note: w.Note, Trades: pr.whatIfTrades(w.Trades, settle)}
}

// whatIfTrades turns priced trades into the file's trades, with their
// costs in the settlement currency.
func (pr *pricer) whatIfTrades(trades []Trade, settle string) []portfolio.WhatIfTrade {
	out := make([]portfolio.WhatIfTrade, 0, len(trades))
	var toSettle func(decimal.Decimal) (decimal.Decimal, bool)
	for _, t := range trades {
		wt := portfolio.WhatIfTrade{Holding: t.Holding, Quantity: t.Quantity}
		if t.Cost.Sign() > 0 {
			if toSettle == nil {
				toSettle = pr.inCurrency(settle)
			}
			if c, ok := toSettle(t.Cost); ok {
				wt.Cost, wt.CostCurrency = c, settle
			}
		}
		out = append(out, wt)
	}
	return out
}

// inCurrency converts amounts of the pricer's unit into currency cur,
// with one converter for all of them.
func (pr *pricer) inCurrency(cur string) func(decimal.Decimal) (decimal.Decimal, bool) {
	node, sat := string(pr.unit), pr.unit == portfolio.UnitSat
	if sat {
		node = string(portfolio.UnitBTC)
	}
	var c *portfolio.Converter
	if node != cur {
		c = portfolio.NewConverter(pr.p, portfolio.Unit(cur))
	}
	return func(x decimal.Decimal) (decimal.Decimal, bool) {
		if sat {
			x = x.Shift(-8)
		}
		if c == nil {
			return x, true
		}
		return c.Value(node, x)
	}
}

// WhatIf is the plan as a what-if.
func (pl *Plan) WhatIf(before *portfolio.Portfolio) *WhatIf {
	note := "plan"
	if pl.Options.Cash.Sign() > 0 {
		note += " with " + pl.Options.Cash.String() + " " + strings.ToUpper(pl.Options.CashCurrency) + " new cash"
	}
	if pl.Options.BuyOnly {
		note += ", buy only"
	}
	if pl.Options.ToBand {
		note += ", to the band edge"
	}
	return &WhatIf{Note: note, Unit: pl.Unit, AsOf: pl.AsOf, Trades: pl.Trades, Cost: pl.Cost, Before: before, After: pl.After(), before: pl.v}
}

// Load prices a saved what-if against p and applies it to a copy. The
// errors are those of Apply.
func Load(p *portfolio.Portfolio, w portfolio.WhatIf, unit portfolio.Unit, now time.Time) (*WhatIf, error) {
	if unit == "" {
		unit = p.DefaultUnit()
	}
	v := portfolio.Valuate(p, unit, now)
	pr := newPricer(p, unit, now, settlement(p, v, ""))
	out := &WhatIf{Name: w.Name, Note: w.Note, Unit: unit, AsOf: now, Before: p, Cost: decimal.Zero, before: v}
	for _, t := range w.Trades {
		i := p.HoldingIndex(t.Holding)
		if i < 0 {
			return nil, &NoHoldingError{Holding: t.Holding}
		}
		if _, ok := pr.unitPrice(i); !ok {
			h := &p.Holdings[i]
			return nil, &UnpricedError{Holding: h.ID, Label: h.Label(), Unit: unit}
		}
		tr := pr.newTrade(i, -1, t.Quantity, false)
		if t.Cost.Sign() > 0 {
			if c, ok := pr.c.Value(t.CostCurrency, t.Cost); ok {
				tr.Cost = c
			}
		}
		out.Trades = append(out.Trades, tr)
		out.Cost = out.Cost.Add(tr.Cost)
	}
	after, err := Apply(p, w.Trades, now)
	if err != nil {
		return nil, err
	}
	out.After = after
	return out, nil
}

// Apply returns a copy of p with the trades applied; p is not changed.
// Quantities change by each trade; a sale uses up the holding's lots
// oldest first and a purchase adds a lot dated now at its market value
// (in the portfolio's unit, when that is a currency); a gold holding sold
// to its last piece is removed; each trade's cost is paid from the
// largest cash holding in its currency, when there is one. The errors are
// *NoHoldingError, *UnpricedError (a holding with no price in the
// portfolio's unit), *OversellError and the copy's validation errors.
func Apply(p *portfolio.Portfolio, trades []portfolio.WhatIfTrade, now time.Time) (*portfolio.Portfolio, error) {
	return apply(p, trades, now, true)
}

func apply(p *portfolio.Portfolio, trades []portfolio.WhatIfTrade, now time.Time, validate bool) (*portfolio.Portfolio, error) {
	q := p.Clone()
	unit := p.DefaultUnit()
	pr := newPricer(p, unit, now, "")
	lotCurrency := ""
	if portfolio.CheckCurrency(string(unit)) == nil {
		lotCurrency = string(unit)
	}
	remove := map[string]bool{}
	index := make(map[string]int, len(q.Holdings))
	for i := range q.Holdings {
		index[q.Holdings[i].ID] = i
	}
	costs := map[string]decimal.Decimal{}
	var costOrder []string
	for _, t := range trades {
		i, ok := index[t.Holding]
		if !ok || remove[t.Holding] {
			return nil, &NoHoldingError{Holding: t.Holding}
		}
		h := &q.Holdings[i]
		price, ok := pr.unitPrice(i) // p and q share the order until removals

		if !ok {
			return nil, &UnpricedError{Holding: h.ID, Label: h.Label(), Unit: unit}
		}
		qu := quantum(h)
		if !t.Quantity.Mod(qu).IsZero() {
			return nil, fmt.Errorf("holding %q (%s): %s is not a whole number of %s", h.ID, h.Label(), t.Quantity, unitName(h))
		}
		held := h.Quantity()
		if t.Quantity.IsNegative() && t.Quantity.Neg().GreaterThan(held) {
			tr := Trade{Kind: h.Kind, Quantity: t.Quantity.Neg()}
			hv := Trade{Kind: h.Kind, Quantity: held}
			return nil, &OversellError{Holding: h.ID, Label: h.Label(),
				Sell: strings.TrimPrefix(tr.Amount(h), "+"), Held: strings.TrimPrefix(hv.Amount(h), "+")}
		}
		switch h.Kind {
		case portfolio.KindBTC:
			h.Sats += t.Quantity.Shift(8).IntPart()
		case portfolio.KindGold:
			n := held.IntPart() + t.Quantity.IntPart()
			if n == 0 {
				remove[h.ID] = true
			}
			h.Pieces = n
		case portfolio.KindETF, portfolio.KindOther:
			h.Units = h.Units.Add(t.Quantity)
		case portfolio.KindCash:
			h.Amount = h.Amount.Add(t.Quantity)
		}
		if h.Kind != portfolio.KindCash {
			if t.Quantity.IsNegative() {
				h.Lots = useLots(h.Lots, t.Quantity.Neg())
			} else if lotCurrency != "" && t.Quantity.Sign() > 0 {
				cost := t.Quantity.Mul(price).Round(unit.Scale())
				if t.CostCurrency == lotCurrency {
					cost = cost.Add(t.Cost)
				}
				h.Lots = append(h.Lots, portfolio.Lot{Date: portfolio.AsOfDate(now), Quantity: t.Quantity, Cost: cost, CostCurrency: lotCurrency})
			}
		}
		if t.Cost.Sign() > 0 {
			if _, seen := costs[t.CostCurrency]; !seen {
				costOrder = append(costOrder, t.CostCurrency)
				costs[t.CostCurrency] = decimal.Zero
			}
			costs[t.CostCurrency] = costs[t.CostCurrency].Add(t.Cost)
		}
	}
	for _, cur := range costOrder {
		payCost(q, costs[cur], cur)
	}
	if len(remove) > 0 {
		kept := q.Holdings[:0]
		for _, h := range q.Holdings {
			if !remove[h.ID] {
				kept = append(kept, h)
			}
		}
		q.Holdings = kept
	}
	if validate {
		if err := q.Validate(); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func unitName(h *portfolio.Holding) string {
	switch h.Kind {
	case portfolio.KindBTC:
		return "sats"
	case portfolio.KindGold:
		return "pieces"
	case portfolio.KindETF:
		return "shares"
	case portfolio.KindCash:
		return h.Currency + " " + decimal.New(1, -portfolio.Unit(h.Currency).Scale()).String()
	}
	return "units"
}

// useLots takes quantity out of lots, oldest first.
func useLots(lots []portfolio.Lot, quantity decimal.Decimal) []portfolio.Lot {
	order := make([]int, len(lots))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && lots[order[j]].Date.Before(lots[order[j-1]].Date); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	out := append([]portfolio.Lot(nil), lots...)
	gone := map[int]bool{}
	for _, i := range order {
		if quantity.Sign() <= 0 {
			break
		}
		l := &out[i]
		if l.Quantity.LessThanOrEqual(quantity) {
			quantity = quantity.Sub(l.Quantity)
			gone[i] = true
			continue
		}
		part := quantity.Div(l.Quantity)
		l.Cost = l.Cost.Sub(l.Cost.Mul(part)).Round(2)
		l.Quantity = l.Quantity.Sub(quantity)
		quantity = decimal.Zero
	}
	kept := out[:0]
	for i, l := range out {
		if !gone[i] {
			kept = append(kept, l)
		}
	}
	return kept
}

// payCost takes cost out of the largest cash holding in currency cur that
// can pay it.
func payCost(q *portfolio.Portfolio, cost decimal.Decimal, cur string) {
	best := -1
	for i, h := range q.Holdings {
		if h.Kind == portfolio.KindCash && h.Currency == cur && h.Amount.GreaterThanOrEqual(cost) &&
			(best < 0 || h.Amount.GreaterThan(q.Holdings[best].Amount)) {
			best = i
		}
	}
	if best >= 0 {
		q.Holdings[best].Amount = q.Holdings[best].Amount.Sub(cost)
	}
}
