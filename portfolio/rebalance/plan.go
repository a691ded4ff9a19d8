package rebalance

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// Options are what a plan is asked for.
type Options struct {
	Unit portfolio.Unit // "" means the portfolio's default
	Now  time.Time
	// Cash is new money to invest, in CashCurrency; it arrives in the
	// largest cash holding of that currency.
	Cash         decimal.Decimal
	CashCurrency string
	// BuyOnly sells nothing: the new cash buys what is under target.
	BuyOnly bool
	// NeverSell adds to the portfolio's never-sell list.
	NeverSell []string
	// ToBand brings a target that is out of its band only back to the
	// nearest edge of the band, not to the target itself (see bandWants).
	ToBand bool
}

// Group is one target with the holdings it covers, before and after the
// plan. Weights are shares of net worth; Drift is Weight - Target.
type Group struct {
	Target    portfolio.Target
	Band      portfolio.Band
	Width     decimal.Decimal // the drift the band allows
	Holdings  []string        // IDs of the holdings covered
	Value     decimal.Decimal
	Weight    decimal.Decimal
	Drift     decimal.Decimal
	OutOfBand bool
	// NeverSell is set when a constraint forbids selling any of it;
	// Kept is the value of its holdings that may not be sold.
	NeverSell bool
	Kept      decimal.Decimal
	// After the plan.
	ValueAfter, WeightAfter, DriftAfter decimal.Decimal
}

// Status says where the group stands: "within band", "OUT OF BAND", and
// ", never sold" (or ", partly never sold") when a constraint forbids
// selling it.
func (g *Group) Status() string {
	s := "within band"
	if g.OutOfBand {
		s = "OUT OF BAND"
	}
	switch {
	case g.NeverSell:
		s += ", never sold"
	case g.Kept.Sign() > 0:
		s += ", partly never sold"
	}
	return s
}

// Points writes a drift in percentage points with its sign: "+7.42 pp".
func Points(d decimal.Decimal) string {
	s := d.Shift(2).StringFixed(2) + " pp"
	if d.Sign() >= 0 {
		s = "+" + s
	}
	return s
}

// Plan is the set of trades that brings the portfolio back to its
// targets, with its cost, the gains it realises and the allocation after.
type Plan struct {
	Unit    portfolio.Unit
	AsOf    time.Time
	Options Options
	// Settlement is the currency trades are paid in.
	Settlement string
	Total      decimal.Decimal // net worth before
	NewCash    decimal.Decimal // in Unit
	TotalAfter decimal.Decimal // after the trades and their costs
	Groups     []Group
	// InBands is set when every target is within its band and there is
	// no new cash: the plan has no trades.
	InBands bool
	Trades  []Trade
	Cost    decimal.Decimal
	// GainFIFO and GainHIFO total the realised gains of the sales.
	GainFIFO, GainHIFO decimal.Decimal
	// Notes say what the plan could not do exactly: trades below the
	// minimum, amounts no holding takes in whole units.
	Notes []string

	base    *portfolio.Portfolio
	v       *portfolio.Valuation // of base, for the what-if
	wtrades []portfolio.WhatIfTrade
	after   *portfolio.Portfolio // made by After
}

// NewPlan plans the trades that bring p back to its targets. The portfolio
// is not changed. Errors: ErrNoTargets, *portfolio.TargetError, an
// *UnpricedError for a covered holding without a price, an
// *UnmatchedError for holdings no target covers, and plain errors for
// new cash that cannot be placed.
func NewPlan(p *portfolio.Portfolio, opt Options) (*Plan, error) {
	s := &p.Rebalance
	if len(s.Targets) == 0 {
		return nil, ErrNoTargets
	}
	if err := portfolio.CheckTargets(s.Targets, s.Band); err != nil {
		return nil, err
	}
	if opt.Unit == "" {
		opt.Unit = p.DefaultUnit()
	}
	v := portfolio.Valuate(p, opt.Unit, opt.Now)
	of := assign(p, s.Targets)
	if err := unmatched(p, v, of); err != nil {
		return nil, err
	}
	for i, l := range v.Lines {
		if of[i] >= 0 && l.Unpriced {
			h := &p.Holdings[i]
			return nil, &UnpricedError{Holding: h.ID, Label: h.Label(), Unit: opt.Unit}
		}
	}
	pl := &Plan{Unit: opt.Unit, AsOf: opt.Now, Options: opt, Total: v.Total, NewCash: decimal.Zero, Cost: decimal.Zero,
		GainFIFO: decimal.Zero, GainHIFO: decimal.Zero}
	cur := ""
	if opt.Cash.Sign() != 0 {
		cur = strings.ToUpper(opt.CashCurrency)
		if opt.Cash.IsNegative() {
			return nil, fmt.Errorf("new cash %s %s: must be positive", opt.Cash, cur)
		}
	}
	pl.Settlement = settlement(p, v, cur)
	pr := newPricer(p, opt.Unit, opt.Now, pl.Settlement)
	pr.v = v

	// The groups and their values.
	never := append(append([]string(nil), s.NeverSell...), opt.NeverSell...)
	pl.Groups = make([]Group, len(s.Targets))
	members := make([][]int, len(s.Targets))
	for g, t := range s.Targets {
		b := bandOf(s, t)
		pl.Groups[g] = Group{Target: t, Band: b, Width: b.Width(t.Weight), Value: decimal.Zero, Kept: decimal.Zero}
	}
	sellable := make([][]int, len(s.Targets)) // members that may be sold
	for i, g := range of {
		if g < 0 {
			continue
		}
		members[g] = append(members[g], i)
		G := &pl.Groups[g]
		G.Holdings = append(G.Holdings, p.Holdings[i].ID)
		G.Value = G.Value.Add(v.Lines[i].Value)
		kept := false
		for _, n := range never {
			kept = kept || Matches(n, &p.Holdings[i]) || strings.EqualFold(n, G.Target.Key)
		}
		if kept {
			G.Kept = G.Kept.Add(v.Lines[i].Value)
		} else {
			sellable[g] = append(sellable[g], i)
		}
	}
	for g := range pl.Groups {
		pl.Groups[g].NeverSell = len(members[g]) > 0 && len(sellable[g]) == 0
	}
	anyOut := false
	for g := range pl.Groups {
		G := &pl.Groups[g]
		G.Weight = share(G.Value, v.Total)
		G.Drift = G.Weight.Sub(G.Target.Weight)
		G.OutOfBand = G.Drift.Abs().GreaterThan(G.Width)
		anyOut = anyOut || G.OutOfBand
	}

	// New cash arrives in the largest cash holding of its currency.
	values := make([]decimal.Decimal, len(pl.Groups)) // after the deposit
	for g := range pl.Groups {
		values[g] = pl.Groups[g].Value
	}
	var trades []Trade
	if cur != "" {
		cv, ok := pr.c.Value(cur, opt.Cash)
		if !ok {
			return nil, fmt.Errorf("new cash in %s: no exchange rate from %s to %s in the price book", cur, cur, opt.Unit)
		}
		dst := -1
		for i, h := range p.Holdings {
			if h.Kind == portfolio.KindCash && h.Currency == cur && (dst < 0 || v.Lines[i].Value.GreaterThan(v.Lines[dst].Value)) {
				dst = i
			}
		}
		if dst < 0 {
			return nil, fmt.Errorf("new cash in %s: no %s cash holding to receive it: add one first", cur, cur)
		}
		if of[dst] < 0 {
			return nil, &UnmatchedError{Holdings: []string{p.Holdings[dst].ID}, Keys: []string{"class Cash", "asset " + cur}}
		}
		pl.NewCash = cv
		t := pr.newTrade(dst, of[dst], opt.Cash, true)
		t.Value = cv
		trades = append(trades, t)
		values[of[dst]] = values[of[dst]].Add(cv)
	}
	if !anyOut && cur == "" {
		pl.InBands = true
		pl.finish(p, v, of, pr, trades)
		return pl, nil
	}

	// The value each target should have: its weight of the new total,
	// except that a target that may not be sold keeps at least what it
	// has (before the new cash); the others share the rest in proportion
	// to their weights, repeated until no floor is crossed.
	total := v.Total.Add(pl.NewCash)
	floor := make([]decimal.Decimal, len(pl.Groups))
	for g := range pl.Groups {
		floor[g] = pl.Groups[g].Kept
		if opt.BuyOnly {
			floor[g] = pl.Groups[g].Value
		}
	}
	want := allocate(total, pl.Groups, floor)
	if opt.ToBand {
		want = bandWants(total, pl.Groups, values, floor)
	}
	for g := range want {
		want[g] = want[g].Round(opt.Unit.Scale())
	}

	// Bitcoin, gold and the rest first; cash last, settling what whole
	// units left over, so that the trades balance.
	isCash := make([]bool, len(pl.Groups))
	cashGroup := -1
	for g := range pl.Groups {
		isCash[g] = pl.Groups[g].Target.Key == "Cash" && pl.Groups[g].Target.By == portfolio.ByClassTarget
		if len(members[g]) > 0 {
			isCash[g] = true
			for _, i := range members[g] {
				isCash[g] = isCash[g] && p.Holdings[i].Kind == portfolio.KindCash
			}
		}
		if isCash[g] && (cashGroup < 0 || hasCurrency(p, members[g], pl.Settlement)) {
			cashGroup = g
		}
	}
	planned, flow := decimal.Zero, decimal.Zero // net buys of the non-cash targets: wanted, and traded
	buys := -1                                  // the largest non-cash buy
	for g := range pl.Groups {
		delta := want[g].Sub(values[g])
		if isCash[g] || delta.IsZero() {
			continue
		}
		planned = planned.Add(delta)
		var ts []Trade
		if delta.IsNegative() {
			ts = pl.sell(pr, g, sellable[g], delta.Neg())
		} else {
			if len(members[g]) == 0 {
				return nil, fmt.Errorf("target %q: no holding to buy into: add a holding of it first", pl.Groups[g].Target.Key)
			}
			ts = pl.buy(pr, g, members[g], delta)
		}
		for _, t := range ts {
			if t.Sell() {
				flow = flow.Sub(t.Value)
			} else {
				flow = flow.Add(t.Value)
				if buys < 0 || t.Value.GreaterThan(trades[buys].Value) {
					buys = len(trades)
				}
			}
			trades = append(trades, t)
		}
	}
	// What whole units left over: more bought than planned takes more
	// cash, less leaves more.
	over := flow.Sub(planned)
	for g := range pl.Groups {
		if !isCash[g] {
			continue
		}
		delta := want[g].Sub(values[g])
		if g == cashGroup {
			delta = delta.Sub(over)
			if delta.IsNegative() && delta.Neg().GreaterThan(values[g].Sub(floor[g])) {
				// The cash may not be spent: buy less instead.
				short := delta.Neg().Sub(values[g].Sub(floor[g]))
				delta = floor[g].Sub(values[g])
				if buys >= 0 {
					trades[buys] = pr.shrink(trades[buys], short)
				}
			}
		}
		if delta.IsZero() {
			continue
		}
		if delta.IsNegative() {
			trades = append(trades, pl.sell(pr, g, sellable[g], delta.Neg())...)
		} else if len(members[g]) > 0 {
			trades = append(trades, pl.buy(pr, g, members[g], delta)...)
		}
	}
	if cashGroup < 0 && flow.Sign() > 0 && buys >= 0 {
		// No cash to settle with (and so no new cash): purchases may not
		// exceed sales.
		trades[buys] = pr.shrink(trades[buys], flow)
	}
	pl.finish(p, v, of, pr, trades)
	return pl, nil
}

// allocate gives each group its share of total in proportion to its
// target weight, with groups whose share would fall below their floor
// held at the floor and the rest shared among the others.
func allocate(total decimal.Decimal, groups []Group, floor []decimal.Decimal) []decimal.Decimal {
	n := len(groups)
	pinned := make([]bool, n)
	want := make([]decimal.Decimal, n)
	for {
		rest, weights := total, decimal.Zero
		for g := 0; g < n; g++ {
			if pinned[g] {
				rest = rest.Sub(floor[g])
			} else {
				weights = weights.Add(groups[g].Target.Weight)
			}
		}
		changed := false
		for g := 0; g < n; g++ {
			if pinned[g] {
				want[g] = floor[g]
				continue
			}
			want[g] = decimal.Zero
			if weights.Sign() > 0 {
				want[g] = rest.Mul(groups[g].Target.Weight).Div(weights)
			}
			if want[g].LessThan(floor[g]) {
				pinned[g], changed = true, true
			}
		}
		if !changed {
			return want
		}
	}
}

// bandWants is the value each group should have when out-of-band groups
// go only to the nearest edge of their band: such a group wants
// (t ± width) × total, any other keeps its value (after the deposit),
// each no lower than its floor. What that leaves over or short, R =
// total − Σ wants, is shared among the groups it moves towards their
// target (R > 0: those below it; R < 0: those above it and above their
// floor), in proportion to how far each is from its target and never
// past it. When that is not enough, what is left over goes by target
// weight; what is short is taken first from purchases (down to the
// group's value) and then from anything above a floor, in proportion.
func bandWants(total decimal.Decimal, groups []Group, values, floor []decimal.Decimal) []decimal.Decimal {
	n := len(groups)
	want := make([]decimal.Decimal, n)
	goal := make([]decimal.Decimal, n)
	for g := range groups {
		G := &groups[g]
		goal[g] = G.Target.Weight.Mul(total)
		w := share(values[g], total)
		switch {
		case w.GreaterThan(G.Target.Weight.Add(G.Width)):
			want[g] = G.Target.Weight.Add(G.Width).Mul(total)
		case w.LessThan(G.Target.Weight.Sub(G.Width)):
			want[g] = G.Target.Weight.Sub(G.Width).Mul(total)
		default:
			want[g] = values[g]
		}
		want[g] = decimal.Max(want[g], floor[g])
	}
	// What is left over or short is shared in stages, each in proportion
	// to a room and (but the last for what is left over) no more than it.
	rest := total
	for g := range want {
		rest = rest.Sub(want[g])
	}
	type stage struct {
		room   func(g int) decimal.Decimal
		capped bool
	}
	stages := []stage{
		{func(g int) decimal.Decimal { return goal[g].Sub(want[g]) }, true},
		{func(g int) decimal.Decimal { return groups[g].Target.Weight }, false},
	}
	if rest.IsNegative() {
		stages = []stage{
			{func(g int) decimal.Decimal { return decimal.Min(want[g].Sub(goal[g]), want[g].Sub(floor[g])) }, true},
			{func(g int) decimal.Decimal { return want[g].Sub(decimal.Max(values[g], floor[g])) }, true}, // buy less
			{func(g int) decimal.Decimal { return want[g].Sub(floor[g]) }, true},
		}
	}
	for _, st := range stages {
		if rest.IsZero() {
			break
		}
		rs := make([]decimal.Decimal, n)
		sum := decimal.Zero
		for g := range want {
			if r := st.room(g); r.Sign() > 0 {
				rs[g], sum = r, sum.Add(r)
			}
		}
		if sum.Sign() <= 0 {
			continue
		}
		amount := rest
		if st.capped && amount.Abs().GreaterThan(sum) {
			amount = sum.Mul(decimal.NewFromInt(int64(rest.Sign())))
		}
		for g := range want {
			if rs[g].Sign() > 0 {
				d := amount.Mul(rs[g]).Div(sum)
				want[g] = want[g].Add(d)
				rest = rest.Sub(d)
			}
		}
	}
	return want
}

// minTrade is the settings' minimum trade in the plan's unit.
func (pl *Plan) minTrade(p *portfolio.Portfolio, pr *pricer) decimal.Decimal {
	s := &p.Rebalance
	if s.MinTrade.Sign() <= 0 {
		return decimal.Zero
	}
	m, ok := pr.c.Value(s.MinTradeCurrency, s.MinTrade)
	if !ok {
		pl.Notes = append(pl.Notes, fmt.Sprintf("minimum trade in %s ignored: no rate to %s", s.MinTradeCurrency, pl.Unit))
		return decimal.Zero
	}
	return m
}

// sell takes amount out of the target's holdings and notes what it
// cannot.
func (pl *Plan) sell(pr *pricer, g int, members []int, amount decimal.Decimal) []Trade {
	out, left := pr.sellFrom(g, members, amount)
	if left.Sign() > 0 && len(out) == 0 {
		pl.Notes = append(pl.Notes, fmt.Sprintf("%s: selling %s cannot be done in whole units of its holdings", pl.Groups[g].Target.Key, pl.Unit.Format(left)))
	}
	return out
}

// buy puts amount into the target's holdings and notes what it cannot.
func (pl *Plan) buy(pr *pricer, g int, members []int, amount decimal.Decimal) []Trade {
	t, ok := pr.buyInto(g, members, amount)
	if !ok {
		pl.Notes = append(pl.Notes, fmt.Sprintf("%s: buying %s cannot be done in whole units of its holdings", pl.Groups[g].Target.Key, pl.Unit.Format(amount)))
		return nil
	}
	return []Trade{t}
}

// finish drops trades below the minimum, totals the plan and builds the
// portfolio after it.
func (pl *Plan) finish(p *portfolio.Portfolio, v *portfolio.Valuation, of []int, pr *pricer, trades []Trade) {
	min := pl.minTrade(p, pr)
	for _, t := range trades {
		if !t.Deposit && min.Sign() > 0 && t.Value.LessThan(min) {
			pl.Notes = append(pl.Notes, fmt.Sprintf("%s %s of %s left out: below the minimum trade of %s", t.Side(), pl.Unit.Format(t.Value), t.Holding, pl.Unit.Format(min)))
			continue
		}
		pl.Trades = append(pl.Trades, t)
		pl.Cost = pl.Cost.Add(t.Cost)
		if t.Gains != nil {
			pl.GainFIFO = pl.GainFIFO.Add(t.Gains.FIFO.Gain)
			pl.GainHIFO = pl.GainHIFO.Add(t.Gains.HIFO.Gain)
		}
	}
	pl.base, pl.v, pl.wtrades = p, v, pr.whatIfTrades(pl.Trades, pl.Settlement)
	// Only the holdings traded (and the cash paying costs) change value:
	// apply the trades to those alone and value them (each line is
	// rounded on its own, so this is what valuing the whole copy gives),
	// and adjust the rest.
	changed := make(map[string]bool, len(pl.Trades))
	for _, t := range pl.Trades {
		changed[t.Holding] = true
	}
	for _, h := range p.Holdings {
		if h.Kind == portfolio.KindCash {
			changed[h.ID] = true
		}
	}
	targets := p.Rebalance.Targets
	for g := range pl.Groups {
		pl.Groups[g].ValueAfter = pl.Groups[g].Value
	}
	total := v.Total
	sub := &portfolio.Portfolio{Settings: p.Settings, Custodians: p.Custodians, Prices: p.Prices, FX: p.FX, Wallets: p.Wallets,
		Holdings: make([]portfolio.Holding, 0, len(changed))}
	for i, g := range of {
		if changed[p.Holdings[i].ID] {
			sub.Holdings = append(sub.Holdings, p.Holdings[i])
			total = total.Sub(v.Lines[i].Value)
			if g >= 0 {
				pl.Groups[g].ValueAfter = pl.Groups[g].ValueAfter.Sub(v.Lines[i].Value)
			}
		}
	}
	if after, err := apply(sub, pl.wtrades, pl.AsOf, false); err == nil {
		sub = after
	} else {
		// The plan never sells more than is held; a failure here is a
		// bug, reported rather than hidden.
		pl.Notes = append(pl.Notes, "the plan could not be applied to a copy: "+err.Error())
	}
	vs := portfolio.Valuate(sub, pl.Unit, pl.AsOf)
	for i, g := range assign(sub, targets) {
		total = total.Add(vs.Lines[i].Value)
		if g >= 0 {
			pl.Groups[g].ValueAfter = pl.Groups[g].ValueAfter.Add(vs.Lines[i].Value)
		}
	}
	pl.TotalAfter = total
	for g := range pl.Groups {
		G := &pl.Groups[g]
		G.WeightAfter = share(G.ValueAfter, total)
		G.DriftAfter = G.WeightAfter.Sub(G.Target.Weight)
	}
}

// After is the portfolio with the plan's trades applied: a copy, made on
// first use.
func (pl *Plan) After() *portfolio.Portfolio {
	if pl.after == nil {
		a, err := apply(pl.base, pl.wtrades, pl.AsOf, false)
		if err != nil {
			a = pl.base.Clone()
		}
		pl.after = a
	}
	return pl.after
}

// hasCurrency reports whether one of the holdings is cash in cur.
func hasCurrency(p *portfolio.Portfolio, members []int, cur string) bool {
	for _, i := range members {
		if h := &p.Holdings[i]; h.Kind == portfolio.KindCash && h.Currency == cur {
			return true
		}
	}
	return false
}
