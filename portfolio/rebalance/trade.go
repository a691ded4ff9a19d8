package rebalance

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// Trade is one holding bought or sold. Quantity is in the holding's
// natural unit (BTC, pieces of gold, shares or units, currency), negative
// for a sale; Value is its market value and Cost what trading it costs,
// both positive, in the plan's unit.
type Trade struct {
	Holding  string
	Label    string
	Kind     portfolio.Kind
	Target   int // index of the plan's target, -1 outside a plan
	Quantity decimal.Decimal
	Value    decimal.Decimal
	Cost     decimal.Decimal
	CostNote string // how the cost arises: "dealer premium 3%"
	// Deposit marks new cash arriving into a cash holding.
	Deposit bool
	// Wallet is set when the trade moves bitcoin into or out of a
	// hardware wallet or multisig: an on-chain transaction.
	Wallet *WalletLeg
	// Gains are the gains a sale realises, lot by lot; nil for buys and
	// cash.
	Gains *Gains
}

// Sell reports whether the trade is a sale.
func (t *Trade) Sell() bool { return t.Quantity.IsNegative() }

// Side is "sell", "buy" or "deposit".
func (t *Trade) Side() string {
	switch {
	case t.Deposit:
		return "deposit"
	case t.Sell():
		return "sell"
	}
	return "buy"
}

// How says how the trade's cost arises: the wallet leg when it has one,
// else the cost's note.
func (t *Trade) How() string {
	if t.Wallet != nil {
		return t.Wallet.String()
	}
	return t.CostNote
}

// WalletLeg is an on-chain transaction a bitcoin trade needs: coins sent
// out of the wallet to sell them, or withdrawn into it after buying.
type WalletLeg struct {
	Custodian string // the hardware wallet's name
	Wallet    string // the watch-only wallet's name or ID, "" when none is linked
	Out       bool   // coins leave the wallet (a sale)
	FeeRate   decimal.Decimal
	VBytes    int64
	FeeSats   int64
	FeeValue  decimal.Decimal // in the plan's unit
}

// String says what the leg does: "send from Ledger (wallet main) ≈ 1,692 sat
// at 12 sat/vB × 141 vB".
func (l *WalletLeg) String() string {
	dir := "withdraw into"
	if l.Out {
		dir = "send from"
	}
	w := l.Custodian
	if l.Wallet != "" {
		w += " (wallet " + l.Wallet + ")"
	}
	return fmt.Sprintf("%s %s, fee ≈ %s sat (%s sat/vB × %d vB)", dir, w, groupThousands(fmt.Sprint(l.FeeSats)), l.FeeRate, l.VBytes)
}

// Amount writes the quantity with its natural unit and sign:
// "+1,234,567 sats", "-10 sh GLD", "-1 × 1 kg bar (32.148 oz fine)",
// "+3,000.00 EUR".
func (t *Trade) Amount(h *portfolio.Holding) string {
	sign := "+"
	q := t.Quantity
	if q.IsNegative() {
		sign, q = "-", q.Neg()
	}
	switch t.Kind {
	case portfolio.KindBTC:
		return sign + groupThousands(q.Shift(8).StringFixed(0)) + " sats"
	case portfolio.KindGold:
		form := string(h.Form)
		if form == "" {
			form = "piece"
		}
		oz := portfolio.ToTroyOunces(h.Weight, h.WeightUnit).Mul(h.Fineness).Mul(q)
		return fmt.Sprintf("%s%s × %s %s %s (%s oz fine)", sign, q, h.Weight, h.WeightUnit, form, oz.StringFixed(3))
	case portfolio.KindETF:
		return sign + q.String() + " sh " + h.Ticker
	case portfolio.KindOther:
		return sign + q.String() + " " + h.Ticker
	case portfolio.KindCash:
		return sign + portfolio.FormatDecimal(q, portfolio.Unit(h.Currency).Scale()) + " " + h.Currency
	}
	return sign + q.String()
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Gains are what a sale realises under two ways of choosing the lots
// sold: first in, first out, and highest cost first.
type Gains struct {
	FIFO, HIFO LotGains
}

// LotGains are the lots one method sells and the gain they realise.
type LotGains struct {
	Sales []LotSale
	Gain  decimal.Decimal // sum of the sales' gains, in the plan's unit
	// NoBasis is the quantity sold beyond the recorded lots: its gain is
	// unknown and left out of Gain.
	NoBasis decimal.Decimal
}

// LotSale is the part of one lot a sale uses: its acquisition date, the
// quantity, its cost and proceeds in the plan's unit (cost converted at
// today's rates when recorded in another currency), and the gain.
type LotSale struct {
	Date     time.Time
	Quantity decimal.Decimal
	Cost     decimal.Decimal
	Proceeds decimal.Decimal
	Gain     decimal.Decimal
}

// pricer values and prices trades of one portfolio in one unit.
type pricer struct {
	p        *portfolio.Portfolio
	unit     portfolio.Unit
	now      time.Time
	c        *portfolio.Converter
	costs    portfolio.Costs
	settle   string          // the currency trades settle in
	fee      decimal.Decimal // one on-chain transaction, in unit
	commis   decimal.Decimal // one broker commission, in unit
	priceCur map[string]string
	prices   map[int]decimal.Decimal    // holding index -> price of one natural unit
	v        *portfolio.Valuation       // of p in unit, when at hand
	nodes    map[string]decimal.Decimal // node -> price of one unit; negative when unpriced
	steps    map[int]float64            // holding index -> value of one quantum
	notes    map[noteKey]string
	floats   struct{ fee, commis, spread, fx float64 }
}

var bigShift = decimal.New(1, 8)

func newPricer(p *portfolio.Portfolio, unit portfolio.Unit, now time.Time, settle string) *pricer {
	pr := &pricer{p: p, unit: unit, now: now, c: portfolio.NewConverter(p, unit), costs: p.Rebalance.Costs, settle: settle,
		priceCur: make(map[string]string, len(p.Prices)), prices: map[int]decimal.Decimal{}, nodes: map[string]decimal.Decimal{}, steps: map[int]float64{}, notes: map[noteKey]string{}}
	for _, x := range p.Prices {
		if _, ok := pr.priceCur[x.Asset]; !ok {
			pr.priceCur[x.Asset] = x.Currency
		}
	}
	if n := pr.costs.OnChainFee(); n > 0 {
		pr.fee, _ = pr.c.Value(string(portfolio.UnitBTC), decimal.New(n, -8))
	}
	if !pr.costs.Commission.IsZero() {
		pr.commis, _ = pr.c.Value(pr.costs.CommissionCurrency, pr.costs.Commission)
	}
	pr.floats.fee, pr.floats.commis = pr.fee.InexactFloat64(), pr.commis.InexactFloat64()
	pr.floats.spread, pr.floats.fx = pr.costs.GoldSpread.InexactFloat64(), pr.costs.FXSpread.InexactFloat64()
	return pr
}

// settlement is the currency trades are paid in: the new cash's, else the
// unit when it is a currency, else that of the largest cash holding, else
// USD.
func settlement(p *portfolio.Portfolio, v *portfolio.Valuation, cashCurrency string) string {
	if cashCurrency != "" {
		return cashCurrency
	}
	switch v.Unit {
	case portfolio.UnitBTC, portfolio.UnitSat, portfolio.UnitXAU:
	default:
		return string(v.Unit)
	}
	best, cur := decimal.Zero, ""
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		if h.Kind == portfolio.KindCash && (cur == "" || l.Value.GreaterThan(best)) {
			best, cur = l.Value, h.Currency
		}
	}
	if cur == "" {
		return "USD"
	}
	return cur
}

// unitPrice is the value in the unit of one natural unit of holding i
// (one BTC, one piece, one share, one unit of currency), to 10⁻⁸ of the
// unit's smallest unit; ok is false when it has no price.
func (pr *pricer) unitPrice(i int) (decimal.Decimal, bool) {
	if x, ok := pr.prices[i]; ok {
		return x, true
	}
	h := &pr.p.Holdings[i]
	var node string
	one := decimal.NewFromInt(1)
	switch h.Kind {
	case portfolio.KindBTC:
		node = string(portfolio.UnitBTC)
	case portfolio.KindGold:
		node, one = string(portfolio.UnitXAU), h.FineOunces(pr.now)
		if q := h.Quantity(); q.Sign() > 0 {
			one = one.DivRound(q, 18)
		}
	case portfolio.KindETF, portfolio.KindOther:
		node = strings.ToUpper(h.Ticker)
	case portfolio.KindCash:
		node = h.Currency
	}
	per, ok := pr.nodePrice(node)
	if !ok && h.Kind == portfolio.KindETF && !h.OzPerShare.IsZero() {
		// Valued through its gold, as the valuation does.
		one = h.FineOunces(pr.now)
		if h.Units.Sign() > 0 {
			one = one.DivRound(h.Units, 18)
		} else {
			one = h.OzPerShare
		}
		per, ok = pr.nodePrice(string(portfolio.UnitXAU))
	}
	if !ok {
		return decimal.Zero, false
	}
	x := per.Mul(one).Round(pr.unit.Scale() + 8)
	pr.prices[i] = x
	return x, true
}

// nodePrice is the value of one unit of a priced node (BTC, XAU, a
// ticker, a currency) in the unit, to 10⁻⁸ of its smallest unit.
func (pr *pricer) nodePrice(node string) (decimal.Decimal, bool) {
	if x, ok := pr.nodes[node]; ok {
		return x, !x.IsNegative()
	}
	v, ok := pr.c.Value(node, bigShift)
	x := decimal.NewFromInt(-1)
	if ok {
		x = v.DivRound(bigShift, pr.unit.Scale()+8)
	}
	pr.nodes[node] = x
	return x, ok
}

// quantum is the smallest amount of a holding that can be traded: a sat,
// a piece of gold, a share or unit, the currency's smallest unit.
func quantum(h *portfolio.Holding) decimal.Decimal {
	switch h.Kind {
	case portfolio.KindBTC:
		return decimal.New(1, -8)
	case portfolio.KindCash:
		return decimal.New(1, -portfolio.Unit(h.Currency).Scale())
	}
	return decimal.NewFromInt(1)
}

// quantityFor is the quantity of holding i worth value (positive),
// rounded to its quantum: down when down is set, else to the nearest.
func (pr *pricer) quantityFor(i int, value decimal.Decimal, down bool) decimal.Decimal {
	price, ok := pr.unitPrice(i)
	if !ok || price.Sign() <= 0 {
		return decimal.Zero
	}
	q := quantum(&pr.p.Holdings[i])
	step := price.Mul(q) // the value of one quantum
	if down && step.GreaterThan(value) {
		return decimal.Zero // not one whole unit: spare the division
	}
	n := value.DivRound(step, 1)
	if down {
		n = n.Floor()
		if n.Mul(step).GreaterThan(value) {
			n = n.Sub(decimal.NewFromInt(1))
		}
	} else {
		n = value.DivRound(step, 0)
	}
	return n.Mul(q)
}

// valueOf is the market value of quantity (positive) of holding i.
func (pr *pricer) valueOf(i int, quantity decimal.Decimal) decimal.Decimal {
	price, _ := pr.unitPrice(i)
	return quantity.Abs().Mul(price).Round(pr.unit.Scale())
}

// tradeCurrency is the currency an ETF or other trade settles in: its
// price's.
func (pr *pricer) tradeCurrency(h *portfolio.Holding) string {
	if c, ok := pr.priceCur[strings.ToUpper(h.Ticker)]; ok {
		return c
	}
	return pr.priceCur[string(portfolio.UnitXAU)]
}

// cost prices a trade of holding i worth value: the on-chain fee of a
// bitcoin leg into or out of a hardware wallet or multisig, the dealer's
// premium (buying) or spread (selling) on physical gold, the broker's
// commission on ETFs and other assets, and the FX spread wherever the
// trade's currency is not the settlement currency.
func (pr *pricer) cost(i int, value decimal.Decimal, sell, deposit bool) (decimal.Decimal, string, *WalletLeg) {
	h := &pr.p.Holdings[i]
	k := pr.costs
	scale := pr.unit.Scale()
	pct := func(d decimal.Decimal) string { return d.Shift(2).String() + "%" }
	var notes []string
	cost := decimal.Zero
	var leg *WalletLeg
	fx := func(cur string) {
		if cur != "" && cur != pr.settle && k.FXSpread.Sign() > 0 {
			cost = cost.Add(value.Mul(k.FXSpread))
			notes = append(notes, "FX spread "+pct(k.FXSpread)+" "+pr.settle+"/"+cur)
		}
	}
	switch h.Kind {
	case portfolio.KindBTC:
		cu := pr.p.Custodian(h.Custodian)
		if cu != nil && (cu.Kind == portfolio.CustodyHardwareWallet || cu.Kind == portfolio.CustodyMultisig) {
			leg = &WalletLeg{Custodian: cu.Name, Out: sell, FeeRate: k.FeeRate, VBytes: k.VBytes(), FeeSats: k.OnChainFee(), FeeValue: pr.fee}
			if h.Wallet != "" {
				leg.Wallet = h.Wallet
				for _, w := range pr.p.Wallets {
					if w.ID == h.Wallet && w.Name != "" {
						leg.Wallet = w.Name
					}
				}
			}
			cost = cost.Add(pr.fee)
			notes = append(notes, "on-chain fee")
		}
	case portfolio.KindGold:
		if sell && k.GoldSpread.Sign() > 0 {
			cost = cost.Add(value.Mul(k.GoldSpread))
			notes = append(notes, "dealer spread "+pct(k.GoldSpread))
		}
		if !sell && k.GoldPremium.Sign() > 0 {
			cost = cost.Add(value.Mul(k.GoldPremium))
			notes = append(notes, "dealer premium "+pct(k.GoldPremium))
		}
	case portfolio.KindETF, portfolio.KindOther:
		if pr.commis.Sign() > 0 {
			cost = cost.Add(pr.commis)
			notes = append(notes, "commission")
		}
		fx(pr.tradeCurrency(h))
	case portfolio.KindCash:
		if !deposit {
			fx(h.Currency)
		}
	}
	key := noteKey{h.Kind, leg != nil, sell, deposit, h.Currency, h.Ticker}
	note, ok := pr.notes[key]
	if !ok {
		note = strings.Join(notes, ", ")
		pr.notes[key] = note
	}
	return cost.Round(scale), note, leg
}

// noteKey is what a cost note depends on.
type noteKey struct {
	kind               portfolio.Kind
	onChain, sell, dep bool
	currency, ticker   string
}

// stepFloat is the value of one quantum of holding i, as a float, for
// skipping holdings whose units are too large.
func (pr *pricer) stepFloat(i int) float64 {
	if x, ok := pr.steps[i]; ok {
		return x
	}
	h := &pr.p.Holdings[i]
	var x float64
	if q := h.Quantity(); pr.v != nil && pr.v.Portfolio == pr.p && q.Sign() > 0 && !pr.v.Lines[i].Unpriced {
		x = toFloat(pr.v.Lines[i].Value) / toFloat(q) * toFloat(quantum(h))
	} else {
		price, _ := pr.unitPrice(i)
		x = toFloat(price) * toFloat(quantum(h))
	}
	pr.steps[i] = x
	return x
}

// toFloat is d as a float64, without decimal's exact conversion when the
// coefficient fits an int64: for ordering and skipping, never for money.
func toFloat(d decimal.Decimal) float64 {
	if d.NumDigits() <= 18 {
		return float64(d.CoefficientInt64()) * math.Pow10(int(d.Exponent()))
	}
	return d.InexactFloat64()
}

// sellRate is the share of a sale of amt (in the unit) of holding i lost
// to costs, as cost does it but in floats: for ordering only.
func (pr *pricer) sellRate(i int, amt float64) float64 {
	if amt <= 0 {
		return 0
	}
	h := &pr.p.Holdings[i]
	f := pr.floats
	switch h.Kind {
	case portfolio.KindBTC:
		if cu := pr.p.Custodian(h.Custodian); cu != nil && (cu.Kind == portfolio.CustodyHardwareWallet || cu.Kind == portfolio.CustodyMultisig) {
			return f.fee / amt
		}
	case portfolio.KindGold:
		return f.spread
	case portfolio.KindETF, portfolio.KindOther:
		r := f.commis / amt
		if c := pr.tradeCurrency(h); c != "" && c != pr.settle {
			r += f.fx
		}
		return r
	case portfolio.KindCash:
		if h.Currency != pr.settle {
			return f.fx
		}
	}
	return 0
}

// holdingValue is the value of holding i: the valuation's when the
// pricer has one.
func (pr *pricer) holdingValue(i int) decimal.Decimal {
	if pr.v != nil && pr.v.Portfolio == pr.p {
		return pr.v.Lines[i].Value
	}
	return pr.valueOf(i, pr.p.Holdings[i].Quantity())
}

// newTrade builds the trade of quantity (signed) of holding i.
func (pr *pricer) newTrade(i, target int, quantity decimal.Decimal, deposit bool) Trade {
	h := &pr.p.Holdings[i]
	t := Trade{Holding: h.ID, Label: h.Label(), Kind: h.Kind, Target: target, Quantity: quantity, Deposit: deposit}
	t.Value = pr.valueOf(i, quantity)
	t.Cost, t.CostNote, t.Wallet = pr.cost(i, t.Value, quantity.IsNegative(), deposit)
	if t.Sell() && h.Kind != portfolio.KindCash {
		t.Gains = pr.gains(h, quantity.Neg(), t.Value)
	}
	return t
}

// gains splits the sale of quantity of h for proceeds across its lots,
// oldest first (FIFO) and dearest per unit first (HIFO).
func (pr *pricer) gains(h *portfolio.Holding, quantity, proceeds decimal.Decimal) *Gains {
	type lot struct {
		l    portfolio.Lot
		cost decimal.Decimal // in unit
		per  decimal.Decimal // cost per unit
	}
	var lots []lot
	for _, l := range h.Lots {
		if l.Quantity.Sign() <= 0 {
			continue
		}
		c, ok := pr.c.Value(l.CostCurrency, l.Cost)
		if !ok {
			continue
		}
		lots = append(lots, lot{l: l, cost: c, per: c.DivRound(l.Quantity, 18)})
	}
	scale := pr.unit.Scale()
	run := func(order []lot) LotGains {
		g := LotGains{Gain: decimal.Zero}
		left, allotted := quantity, decimal.Zero
		for _, x := range order {
			if left.Sign() <= 0 {
				break
			}
			q := decimal.Min(left, x.l.Quantity)
			s := LotSale{Date: x.l.Date, Quantity: q}
			s.Cost = x.per.Mul(q).Round(scale)
			left = left.Sub(q)
			if left.Sign() == 0 {
				// The last lot takes what rounding left, so the lots'
				// proceeds add up to the sale's.
				s.Proceeds = proceeds.Sub(allotted)
			} else {
				s.Proceeds = proceeds.Mul(q).DivRound(quantity, scale)
			}
			allotted = allotted.Add(s.Proceeds)
			s.Gain = s.Proceeds.Sub(s.Cost)
			g.Sales = append(g.Sales, s)
			g.Gain = g.Gain.Add(s.Gain)
		}
		g.NoBasis = decimal.Max(left, decimal.Zero)
		return g
	}
	fifo := append([]lot(nil), lots...)
	sort.SliceStable(fifo, func(a, b int) bool { return fifo[a].l.Date.Before(fifo[b].l.Date) })
	hifo := append([]lot(nil), lots...)
	sort.SliceStable(hifo, func(a, b int) bool { return hifo[a].per.GreaterThan(hifo[b].per) })
	return &Gains{FIFO: run(fifo), HIFO: run(hifo)}
}

// sellFrom sells amount from the holdings members, cheapest to sell
// first, in whole units, never more than a holding has. left is what
// could not be sold.
func (pr *pricer) sellFrom(target int, members []int, amount decimal.Decimal) (out []Trade, left decimal.Decimal) {
	p := pr.p
	order := append([]int(nil), members...)
	// Ordering needs no exact money: rates and values as floats.
	amountF := toFloat(amount)
	rates := make(map[int]float64, len(order)) // see sellRate
	vals := make(map[int]decimal.Decimal, len(order))
	for _, i := range order {
		vals[i] = pr.holdingValue(i)
		rates[i] = pr.sellRate(i, math.Min(amountF, toFloat(vals[i])))
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, rb := rates[order[a]], rates[order[b]]
		if ra != rb {
			return ra < rb
		}
		return vals[order[a]].GreaterThan(vals[order[b]])
	})
	left, leftF := amount, amountF
	for _, i := range order {
		if left.Sign() <= 0 {
			break
		}
		if pr.stepFloat(i) > leftF*(1+1e-9) {
			continue // not one whole unit left to sell: spare the decimals
		}
		held := p.Holdings[i].Quantity()
		var q decimal.Decimal
		if vals[i].LessThanOrEqual(left) {
			q = held // the whole holding: no division needed
		} else {
			q = decimal.Min(pr.quantityFor(i, left, true), held)
		}
		if q.Sign() <= 0 {
			continue
		}
		t := pr.newTrade(i, target, q.Neg(), false)
		out = append(out, t)
		left = left.Sub(t.Value)
		leftF = toFloat(left)
	}
	return out, left
}

// buyInto buys amount of the largest of the holdings members that takes
// it in whole units without overshooting by half again.
func (pr *pricer) buyInto(target int, members []int, amount decimal.Decimal) (Trade, bool) {
	order := append([]int(nil), members...)
	val := make(map[int]decimal.Decimal, len(order))
	for _, i := range order {
		val[i] = pr.holdingValue(i)
	}
	sort.SliceStable(order, func(a, b int) bool { return val[order[a]].GreaterThan(val[order[b]]) })
	limit := amount.Mul(decimal.RequireFromString("1.5"))
	for _, i := range order {
		q := pr.quantityFor(i, amount, false)
		if q.Sign() <= 0 {
			continue
		}
		if price, _ := pr.unitPrice(i); q.Mul(price).GreaterThan(limit) {
			continue
		}
		return pr.newTrade(i, target, q, false), true
	}
	return Trade{}, false
}

// shrink buys value less in trade t, in whole units.
func (pr *pricer) shrink(t Trade, value decimal.Decimal) Trade {
	i := pr.p.HoldingIndex(t.Holding)
	limit := decimal.Max(t.Value.Sub(value), decimal.Zero)
	q := pr.quantityFor(i, limit, true)
	if q.Sign() > 0 && pr.valueOf(i, q).GreaterThan(limit) {
		q = q.Sub(quantum(&pr.p.Holdings[i])) // rounding the value up overshot
	}
	return pr.newTrade(i, t.Target, q, false)
}
