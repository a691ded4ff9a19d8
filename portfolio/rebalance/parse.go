package rebalance

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// TradeSyntaxError is a hand-written trade that cannot be read.
type TradeSyntaxError struct {
	Text string
	Msg  string
}

func (e *TradeSyntaxError) Error() string { return fmt.Sprintf("trade %q: %s", e.Text, e.Msg) }

// TradeHelp says how trades are written, for error messages and help.
const TradeHelp = `sell REF [all | N% | AMOUNT CURRENCY | QUANTITY], buy REF (N% | AMOUNT CURRENCY | QUANTITY), move (N% | AMOUNT CURRENCY) from REF to REF; REF is a holding ID or name, a ticker, BTC, XAU, a currency or a class; N% is of net worth; trades are separated by ";"`

// amount is a parsed trade size.
type amount struct {
	all      bool
	percent  decimal.Decimal // of net worth, as a share
	money    decimal.Decimal
	currency string
	quantity decimal.Decimal // natural units of the holding
	set      bool
}

// NewWhatIf reads hand-written trades ("move 5% from GLD to BTC; sell the
// vault bar") and applies them to a copy of p. A sale's proceeds go to
// the largest cash holding in the settlement currency and a purchase is
// paid from cash, settlement currency first; "move" trades one holding
// for another directly. The errors are *TradeSyntaxError, *UnpricedError,
// *OversellError and those of Apply; p is never changed.
func NewWhatIf(p *portfolio.Portfolio, text string, unit portfolio.Unit, now time.Time) (*WhatIf, error) {
	if unit == "" {
		unit = p.DefaultUnit()
	}
	v := portfolio.Valuate(p, unit, now)
	settle := settlement(p, v, "")
	pr := newPricer(p, unit, now, settle)
	pr.v = v
	w := &WhatIf{Note: strings.TrimSpace(text), Unit: unit, AsOf: now, Before: p, Cost: decimal.Zero, before: v}
	rd := &reader{p: p, v: v, pr: pr, settle: settle}
	for _, stmt := range strings.Split(text, ";") {
		stmt = strings.TrimSpace(stmt)
		if stmt == "" {
			continue
		}
		ts, err := rd.statement(stmt)
		if err != nil {
			return nil, err
		}
		w.Trades = append(w.Trades, ts...)
	}
	if len(w.Trades) == 0 {
		return nil, &TradeSyntaxError{Text: text, Msg: "no trade: " + TradeHelp}
	}
	for _, t := range w.Trades {
		w.Cost = w.Cost.Add(t.Cost)
	}
	after, err := Apply(p, pr.whatIfTrades(w.Trades, settle), now)
	if err != nil {
		return nil, err
	}
	w.After = after
	return w, nil
}

type reader struct {
	p      *portfolio.Portfolio
	v      *portfolio.Valuation
	pr     *pricer
	settle string
}

func (rd *reader) statement(stmt string) ([]Trade, error) {
	words := strings.Fields(stmt)
	fail := func(format string, a ...any) error {
		return &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf(format, a...)}
	}
	if len(words) < 2 {
		return nil, fail("want %s", TradeHelp)
	}
	verb, rest := strings.ToLower(words[0]), words[1:]
	switch verb {
	case "sell", "buy":
		amt, ref, err := splitAmount(rest)
		if err != nil {
			return nil, fail("%v", err)
		}
		hs, err := rd.resolve(ref)
		if err != nil {
			return nil, fail("%v", err)
		}
		if verb == "sell" {
			if !amt.set {
				amt.all = true
			}
			return rd.sell(stmt, hs, amt, true)
		}
		if !amt.set || amt.all {
			return nil, fail("say how much to buy: N%%, AMOUNT CURRENCY or a quantity")
		}
		return rd.buy(stmt, hs, amt, true)
	case "move":
		lower := make([]string, len(rest))
		for i, x := range rest {
			lower[i] = strings.ToLower(x)
		}
		f, t := index(lower, "from"), index(lower, "to")
		if f < 0 || t < f+2 || t == len(rest)-1 {
			return nil, fail("want move (N%% | AMOUNT CURRENCY) from REF to REF")
		}
		amt, leftover, err := splitAmount(rest[:f])
		if err != nil || len(leftover) > 0 || !amt.set || amt.all || !amt.quantity.IsZero() {
			return nil, fail("say how much to move: N%% of net worth or AMOUNT CURRENCY")
		}
		from, err := rd.resolve(rest[f+1 : t])
		if err != nil {
			return nil, fail("%v", err)
		}
		to, err := rd.resolve(rest[t+1:])
		if err != nil {
			return nil, fail("%v", err)
		}
		sold, err := rd.sell(stmt, from, amt, false)
		if err != nil {
			return nil, err
		}
		got := decimal.Zero
		for _, s := range sold {
			got = got.Add(s.Value)
		}
		bought, err := rd.buy(stmt, to, amount{money: got, currency: string(rd.v.Unit), set: true}, false)
		if err != nil {
			return nil, err
		}
		return append(sold, bought...), nil
	}
	return nil, fail("unknown action %q: want %s", words[0], TradeHelp)
}

func index(s []string, x string) int {
	for i, w := range s {
		if w == x {
			return i
		}
	}
	return -1
}

// splitAmount takes the trade size from the start or the end of words and
// returns it with the words naming the holding.
func splitAmount(words []string) (amount, []string, error) {
	try := func(ws []string) (amount, bool) {
		switch len(ws) {
		case 1:
			w := strings.ToLower(ws[0])
			if w == "all" {
				return amount{all: true, set: true}, true
			}
			if strings.HasSuffix(w, "%") {
				if d, err := decimal.NewFromString(strings.TrimSuffix(w, "%")); err == nil && d.Sign() > 0 {
					return amount{percent: d.Shift(-2), set: true}, true
				}
			}
			if d, err := decimal.NewFromString(strings.ReplaceAll(w, ",", "")); err == nil && d.Sign() > 0 {
				return amount{quantity: d, set: true}, true
			}
		case 2:
			d, err := decimal.NewFromString(strings.ReplaceAll(ws[0], ",", ""))
			cur := strings.ToUpper(ws[1])
			if err == nil && d.Sign() > 0 && (portfolio.CheckCurrency(cur) == nil || cur == string(portfolio.UnitBTC)) {
				return amount{money: d, currency: cur, set: true}, true
			}
		}
		return amount{}, false
	}
	for _, n := range []int{2, 1} {
		if len(words) >= n {
			if a, ok := try(words[len(words)-n:]); ok {
				return a, words[:len(words)-n], nil
			}
			if a, ok := try(words[:n]); ok {
				return a, words[n:], nil
			}
		}
	}
	if len(words) == 0 {
		return amount{}, nil, fmt.Errorf("name what to trade")
	}
	return amount{}, words, nil
}

// resolve finds the holdings a reference names: a holding ID, a ticker,
// an asset (BTC, XAU, a currency) or a class, then holdings whose name
// has every word.
func (rd *reader) resolve(words []string) ([]int, error) {
	if len(words) > 0 && strings.EqualFold(words[0], "the") {
		words = words[1:]
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("name what to trade")
	}
	p := rd.p
	ref := strings.Join(words, " ")
	for _, id := range []string{ref, strings.Join(words, "-")} {
		if i := p.HoldingIndex(strings.ToLower(id)); i >= 0 {
			return []int{i}, nil
		}
	}
	var out []int
	for i := range p.Holdings {
		if Matches(ref, &p.Holdings[i]) {
			out = append(out, i)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for i := range p.Holdings {
		h := &p.Holdings[i]
		text := strings.ToLower(h.ID + " " + h.Label() + " " + string(h.Form) + " " + h.Custodian)
		if cu := p.Custodian(h.Custodian); cu != nil {
			text += " " + strings.ToLower(cu.Name+" "+string(cu.Kind))
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(text, strings.ToLower(w))
		}
		if all {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no holding matches %q: name a holding ID, a ticker, BTC, XAU, a currency or a class (Bitcoin, Gold, Cash, Other)", ref)
	}
	return out, nil
}

// priced checks that every holding has a price and returns their value.
func (rd *reader) priced(hs []int) (decimal.Decimal, error) {
	total := decimal.Zero
	for _, i := range hs {
		if rd.v.Lines[i].Unpriced {
			h := &rd.p.Holdings[i]
			return total, &UnpricedError{Holding: h.ID, Label: h.Label(), Unit: rd.v.Unit}
		}
		total = total.Add(rd.v.Lines[i].Value)
	}
	return total, nil
}

// value is the trade size in the unit; quantity sizes have none.
func (rd *reader) value(stmt string, a amount) (decimal.Decimal, error) {
	switch {
	case !a.percent.IsZero():
		return a.percent.Mul(rd.v.Total).Round(rd.v.Unit.Scale()), nil
	case !a.money.IsZero():
		if a.currency == string(rd.v.Unit) {
			return a.money, nil
		}
		x, ok := rd.pr.c.Value(a.currency, a.money)
		if !ok {
			return x, &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf("no rate from %s to %s in the price book", a.currency, rd.v.Unit)}
		}
		return x, nil
	}
	return decimal.Zero, nil
}

func names(p *portfolio.Portfolio, hs []int) string {
	ids := make([]string, len(hs))
	for k, i := range hs {
		ids[k] = p.Holdings[i].ID
	}
	return strings.Join(ids, ", ")
}

// sell sells a of the holdings hs; with cash set the proceeds are
// deposited in cash.
func (rd *reader) sell(stmt string, hs []int, a amount, cash bool) ([]Trade, error) {
	p, pr := rd.p, rd.pr
	held, err := rd.priced(hs)
	if err != nil {
		return nil, err
	}
	var out []Trade
	switch {
	case a.all:
		for _, i := range hs {
			if q := p.Holdings[i].Quantity(); q.Sign() > 0 {
				out = append(out, pr.newTrade(i, -1, q.Neg(), false))
			}
		}
	case !a.quantity.IsZero():
		if len(hs) != 1 {
			return nil, &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf("a quantity needs one holding, and this names %s: give its ID, or an amount of money", names(p, hs))}
		}
		h := &p.Holdings[hs[0]]
		if a.quantity.GreaterThan(h.Quantity()) {
			sold, has := Trade{Kind: h.Kind, Quantity: a.quantity}, Trade{Kind: h.Kind, Quantity: h.Quantity()}
			return nil, &OversellError{Holding: h.ID, Label: h.Label(), Sell: strings.TrimPrefix(sold.Amount(h), "+"), Held: strings.TrimPrefix(has.Amount(h), "+")}
		}
		out = append(out, pr.newTrade(hs[0], -1, a.quantity.Neg(), false))
	default:
		want, err := rd.value(stmt, a)
		if err != nil {
			return nil, err
		}
		if want.GreaterThan(held) {
			return nil, &OversellError{Holding: names(p, hs), Sell: rd.v.Unit.Format(want), Held: rd.v.Unit.Format(held)}
		}
		ts, _ := pr.sellFrom(-1, hs, want)
		if len(ts) == 0 {
			return nil, &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf("%s is less than one whole unit of %s", rd.v.Unit.Format(want), names(p, hs))}
		}
		out = ts
	}
	if !cash || allCash(p, hs) {
		return out, nil
	}
	got := decimal.Zero
	for _, t := range out {
		got = got.Add(t.Value)
	}
	dst := rd.cashHolding()
	if dst < 0 {
		return nil, &TradeSyntaxError{Text: stmt, Msg: "no cash holding to receive the proceeds: add one, or write move … from … to …"}
	}
	if q := pr.quantityFor(dst, got, false); q.Sign() > 0 {
		out = append(out, pr.newTrade(dst, -1, q, false))
	}
	return out, nil
}

func allCash(p *portfolio.Portfolio, hs []int) bool {
	for _, i := range hs {
		if p.Holdings[i].Kind != portfolio.KindCash {
			return false
		}
	}
	return true
}

// cashHolding is the largest cash holding in the settlement currency, or
// the largest one, or -1.
func (rd *reader) cashHolding() int {
	best, bestAny := -1, -1
	for i, h := range rd.p.Holdings {
		if h.Kind != portfolio.KindCash || rd.v.Lines[i].Unpriced {
			continue
		}
		val := rd.v.Lines[i].Value
		if bestAny < 0 || val.GreaterThan(rd.v.Lines[bestAny].Value) {
			bestAny = i
		}
		if h.Currency == rd.settle && (best < 0 || val.GreaterThan(rd.v.Lines[best].Value)) {
			best = i
		}
	}
	if best >= 0 {
		return best
	}
	return bestAny
}

// buy buys a of the holdings hs; with cash set it is paid from cash.
func (rd *reader) buy(stmt string, hs []int, a amount, cash bool) ([]Trade, error) {
	p, pr := rd.p, rd.pr
	if _, err := rd.priced(hs); err != nil {
		return nil, err
	}
	var out []Trade
	if !a.quantity.IsZero() {
		if len(hs) != 1 {
			return nil, &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf("a quantity needs one holding, and this names %s: give its ID, or an amount of money", names(p, hs))}
		}
		if !a.quantity.Mod(quantum(&p.Holdings[hs[0]])).IsZero() {
			return nil, &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf("%s is not a whole number of %s", a.quantity, unitName(&p.Holdings[hs[0]]))}
		}
		out = append(out, pr.newTrade(hs[0], -1, a.quantity, false))
	} else {
		want, err := rd.value(stmt, a)
		if err != nil {
			return nil, err
		}
		t, ok := pr.buyInto(-1, hs, want)
		if !ok {
			return nil, &TradeSyntaxError{Text: stmt, Msg: fmt.Sprintf("%s cannot be bought in whole units of %s", rd.v.Unit.Format(want), names(p, hs))}
		}
		out = append(out, t)
	}
	if !cash || allCash(p, hs) {
		return out, nil
	}
	need := decimal.Zero
	for _, t := range out {
		need = need.Add(t.Value)
	}
	var cashIdx []int
	for i, h := range p.Holdings {
		if h.Kind == portfolio.KindCash && !rd.v.Lines[i].Unpriced {
			cashIdx = append(cashIdx, i)
		}
	}
	have, _ := rd.priced(cashIdx)
	if need.GreaterThan(have) {
		return nil, &OversellError{Holding: names(p, cashIdx), Label: "cash, to pay for it", Sell: rd.v.Unit.Format(need), Held: rd.v.Unit.Format(have)}
	}
	paid, _ := pr.sellFrom(-1, cashIdx, need)
	return append(out, paid...), nil
}
