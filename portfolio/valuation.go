package portfolio

import (
	"math/big"
	"math/bits"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Quote is one price-book entry used to convert a value: a price of an asset
// or an FX rate.
type Quote struct {
	From, To string // one From is worth Rate To
	Rate     decimal.Decimal
	Time     time.Time
	Source   string
}

// edge is a quote in the conversion graph, seen from one end.
type edge struct {
	to      string
	q       *Quote
	inverse bool // value in `to` = value in node / rate
}

// Converter values amounts of any priced node (currency, XAU, BTC, ticker) in
// one target unit. It is built once per valuation from the price book by a
// breadth-first walk, so each node is reached through the fewest quotes
// (ties broken by the order of the price book: prices first, then FX).
type Converter struct {
	Target Unit
	parts  map[string]factorParts // the factors' coefficients and exponents
	oldest map[string]time.Time   // oldest quote on the path
}

// conversionPrecision is the number of decimal places kept when a rate is
// inverted. Values are rounded to the unit's smallest unit only at the end.
const conversionPrecision = 18

// NewConverter builds the conversion table for target from p's prices and FX
// rates.
func NewConverter(p *Portfolio, target Unit) *Converter {
	quotes := make([]Quote, 0, len(p.Prices)+len(p.FX))
	for _, pr := range p.Prices {
		quotes = append(quotes, Quote{From: pr.Asset, To: pr.Currency, Rate: pr.Value, Time: pr.Time, Source: pr.Source})
	}
	for _, fx := range p.FX {
		quotes = append(quotes, Quote{From: fx.Base, To: fx.Quote, Rate: fx.Rate, Time: fx.Time, Source: fx.Source})
	}
	adj := make(map[string][]edge, len(quotes)*2)
	for i := range quotes {
		q := &quotes[i]
		if q.Rate.Sign() <= 0 {
			continue
		}
		adj[q.From] = append(adj[q.From], edge{to: q.To, q: q})
		adj[q.To] = append(adj[q.To], edge{to: q.From, q: q, inverse: true})
	}
	c := &Converter{
		Target: target,
		oldest: map[string]time.Time{},
	}
	// factor[n] is the value of one n in the target's node.
	factor := map[string]decimal.Decimal{target.node(): decimal.NewFromInt(1)}
	queue := []string{target.node()}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		// Edges out of n lead to neighbours m; we want the value of one m
		// in the target: factor[m] = (value of one m in n) * factor[n].
		for _, e := range adj[n] {
			m := e.to
			if _, seen := factor[m]; seen {
				continue
			}
			var mInN decimal.Decimal
			if e.inverse {
				// quote says 1 m = rate n.
				mInN = e.q.Rate
			} else {
				// quote says 1 n = rate m, so 1 m = 1/rate n.
				mInN = decimal.NewFromInt(1).DivRound(e.q.Rate, conversionPrecision)
			}
			factor[m] = mInN.Mul(factor[n])
			old := c.oldest[n]
			if old.IsZero() || e.q.Time.Before(old) {
				old = e.q.Time
			}
			c.oldest[m] = old
			queue = append(queue, m)
		}
	}
	if target == UnitSat {
		for k, f := range factor {
			factor[k] = f.Mul(satsPerBTC)
		}
	}
	c.parts = make(map[string]factorParts, len(factor))
	for k, f := range factor {
		c.parts[k] = factorParts{coef: f.Coefficient(), exp: f.Exponent()}
	}
	return c
}

// factorParts is a conversion factor as coefficient × 10^exp.
type factorParts struct {
	coef *big.Int
	exp  int32
}

// scaler multiplies amounts by conversion factors and rounds the products
// to the unit's scale in reused big integers: valuation does this for
// every holding, and decimal's own arithmetic allocates a dozen times per
// line where this allocates twice.
type scaler struct {
	prod, q, r big.Int
}

// mulRound returns amount × f rounded half away from zero to scale
// places, and the result's coefficient at exponent -scale, valid until
// the next call.
func (s *scaler) mulRound(amount decimal.Decimal, f factorParts, scale int32) (decimal.Decimal, *big.Int) {
	s.prod.Mul(amount.Coefficient(), f.coef)
	diff := -scale - (amount.Exponent() + f.exp)
	switch {
	case diff <= 0 && -int(diff) < len(pow10):
		s.q.Mul(&s.prod, pow10[-diff])
	case diff > 0 && int(diff) < len(pow10):
		div := pow10[diff]
		s.q.QuoRem(&s.prod, div, &s.r)
		s.r.Abs(&s.r)
		s.r.Lsh(&s.r, 1)
		if s.r.Cmp(div) >= 0 {
			if s.prod.Sign() < 0 {
				s.q.Sub(&s.q, bigOne)
			} else {
				s.q.Add(&s.q, bigOne)
			}
		}
	default:
		v, c := roundCoefficient(decimal.NewFromBigInt(&s.prod, amount.Exponent()+f.exp), scale)
		s.q.Set(c)
		return v, &s.q
	}
	return decimal.NewFromBigInt(&s.q, -scale), &s.q
}

// Value converts amount of node into the target unit, rounded to the
// unit's smallest unit as valuation rounds each holding. ok is false when
// no chain of quotes links node to the target.
func (c *Converter) Value(node string, amount decimal.Decimal) (v decimal.Decimal, ok bool) {
	f, ok := c.parts[node]
	if !ok {
		return decimal.Zero, false
	}
	var sc scaler
	v, _ = sc.mulRound(amount, f, c.Target.Scale())
	return v, true
}

// Oldest is the time of the oldest quote used to value node; zero for the
// target itself.
func (c *Converter) Oldest(node string) time.Time { return c.oldest[node] }

// Line is one holding's valuation.
type Line struct {
	Index     int // index in Portfolio.Holdings
	Value     decimal.Decimal
	Weight    decimal.Decimal // share of the total, 0..1, to 12 places; zero when the total is not positive
	PriceTime time.Time       // oldest quote used; zero when none was needed
	Age       time.Duration
	Stale     bool
	Unpriced  bool   // no chain of quotes reaches the target: Value is zero
	Node      string // what the holding was priced in
	Exposure  string // BTC, XAU or a currency
}

// Valuation is a portfolio valued in one unit at one moment. Every line is
// rounded to the unit's smallest unit and Total is their exact sum, so the
// lines always add up to the total shown.
type Valuation struct {
	Unit      Unit
	AsOf      time.Time
	Total     decimal.Decimal
	Lines     []Line
	Unpriced  int // number of holdings that could not be valued
	Stale     int // number of holdings valued with a stale quote
	Portfolio *Portfolio

	// coefs holds each line's value at exponent -Unit.Scale() when every
	// one fits an int64 (small), so sums need no decimal arithmetic.
	coefs []int64
	small bool
}

// Valuate values every holding of p in unit at time now.
func Valuate(p *Portfolio, unit Unit, now time.Time) *Valuation {
	c := NewConverter(p, unit)
	scale := unit.Scale()
	staleAfter := p.StaleAfter()
	v := &Valuation{Unit: unit, AsOf: now, Lines: make([]Line, len(p.Holdings)), Portfolio: p}
	total := new(big.Int) // sum of rounded line values, at exponent -scale
	// coefs keeps each line's value at exponent -scale when it fits an
	// int64 (smallInts tells whether all did), so shares are integer maths.
	coefs := make([]int64, len(p.Holdings))
	smallInts := true
	var sc scaler
	var priceCurrency map[string]string
	for i := range p.Holdings {
		h := &p.Holdings[i]
		node, amount := h.Native(now)
		l := Line{Index: i, Node: node, Exposure: h.Exposure()}
		f, ok := c.parts[node]
		if !ok && h.Kind == KindETF && !h.OzPerShare.IsZero() {
			// No market price for the ticker: value the gold it holds.
			node, amount = string(UnitXAU), h.FineOunces(now)
			l.Node = node
			f, ok = c.parts[node]
		}
		if h.Kind == KindOther {
			if priceCurrency == nil {
				priceCurrency = make(map[string]string, len(p.Prices))
				for _, pr := range p.Prices {
					if _, seen := priceCurrency[pr.Asset]; !seen {
						priceCurrency[pr.Asset] = pr.Currency
					}
				}
			}
			l.Exposure = priceCurrency[h.Ticker]
		}
		if !ok {
			l.Unpriced = true
			v.Unpriced++
		} else {
			var coef *big.Int
			l.Value, coef = sc.mulRound(amount, f, scale)
			total.Add(total, coef)
			if coef.IsInt64() && coef.Sign() >= 0 {
				coefs[i] = coef.Int64()
			} else {
				smallInts = false
			}
			l.PriceTime = c.Oldest(node)
			if !l.PriceTime.IsZero() {
				l.Age = now.Sub(l.PriceTime)
				l.Stale = l.Age > staleAfter
				if l.Stale {
					v.Stale++
				}
			}
		}
		v.Lines[i] = l
	}
	v.Total = decimal.NewFromBigInt(total, -scale)
	v.coefs, v.small = coefs, smallInts && total.IsInt64()
	switch {
	case total.Sign() <= 0:
	case smallInts && total.IsUint64():
		// share = value / total to 12 places, rounded half up, in 128-bit
		// integer maths: value <= total, so the quotient fits.
		t := total.Uint64()
		for i := range v.Lines {
			hi, lo := bits.Mul64(uint64(coefs[i]), weightDenominator)
			q, r := bits.Div64(hi, lo, t)
			if r >= t-r {
				q++
			}
			v.Lines[i].Weight = decimal.New(int64(q), -weightScale)
		}
	default:
		inv := decimal.NewFromInt(1).DivRound(v.Total, 24)
		for i := range v.Lines {
			v.Lines[i].Weight = roundHalfUp(v.Lines[i].Value.Mul(inv), weightScale)
		}
	}
	return v
}

// weightScale is the number of decimal places of shares (weights): 10^-12
// of the total, far below any display and within an int64 coefficient.
const weightScale = 12

const weightDenominator = 1_000_000_000_000 // 10^weightScale

// Dimension is a way to group holdings for allocation.
type Dimension int

// Allocation dimensions.
const (
	ByClass Dimension = iota
	ByCustodyKind
	ByCustodian
	ByJurisdiction
	ByCurrency
	// ByAsset groups by what is held: bitcoin, gold (physical and ETF), each
	// cash currency, each other symbol. The analysis uses it; it is not in
	// Dimensions, which the allocation views show.
	ByAsset
)

// Dimensions lists every dimension in display order.
var Dimensions = []Dimension{ByClass, ByCustodyKind, ByCustodian, ByJurisdiction, ByCurrency}

// String names the dimension.
func (d Dimension) String() string {
	switch d {
	case ByClass:
		return "Asset class"
	case ByCustodyKind:
		return "Custody"
	case ByCustodian:
		return "Custodian"
	case ByJurisdiction:
		return "Jurisdiction"
	case ByCurrency:
		return "Currency"
	case ByAsset:
		return "Asset"
	}
	return "?"
}

// Key is a short machine name of the dimension, used in JSON output.
func (d Dimension) Key() string {
	switch d {
	case ByClass:
		return "class"
	case ByCustodyKind:
		return "custody_kind"
	case ByCustodian:
		return "custodian"
	case ByJurisdiction:
		return "jurisdiction"
	case ByCurrency:
		return "currency"
	case ByAsset:
		return "asset"
	}
	return "?"
}

// Slice is one group of an allocation.
type Slice struct {
	Key    string
	Label  string
	Value  decimal.Decimal
	Weight decimal.Decimal // 0..1
	Count  int
}

// Allocation groups the valuation along d, largest value first (ties by
// key). The slices' values add up to Total exactly.
func (v *Valuation) Allocation(d Dimension) []Slice {
	custodians := make(map[string]*Custodian, len(v.Portfolio.Custodians))
	for i := range v.Portfolio.Custodians {
		custodians[v.Portfolio.Custodians[i].ID] = &v.Portfolio.Custodians[i]
	}
	idx := map[string]int{}
	var out []Slice
	var sums []int64 // per slice, at exponent -scale, when v.small
	for i, l := range v.Lines {
		key, label := v.group(d, l, custodians)
		j, ok := idx[key]
		if !ok {
			j = len(out)
			idx[key] = j
			out = append(out, Slice{Key: key, Label: label})
			sums = append(sums, 0)
		}
		if v.small {
			// No overflow: every sum is at most the total, an int64.
			sums[j] += v.coefs[i]
		} else {
			out[j].Value = out[j].Value.Add(l.Value)
		}
		out[j].Count++
	}
	for i := range out {
		if v.small {
			out[i].Value = decimal.New(sums[i], -v.Unit.Scale())
		}
		if v.Total.Sign() > 0 {
			out[i].Weight = out[i].Value.DivRound(v.Total, weightScale)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if c := out[i].Value.Cmp(out[j].Value); c != 0 {
			return c > 0
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func (v *Valuation) group(d Dimension, l Line, custodians map[string]*Custodian) (key, label string) {
	h := &v.Portfolio.Holdings[l.Index]
	cu := custodians[h.Custodian]
	switch d {
	case ByClass:
		c := h.Kind.Class()
		return c, c
	case ByCustodyKind:
		if cu == nil {
			return "", "(no custodian)"
		}
		return string(cu.Kind), cu.Kind.Label()
	case ByCustodian:
		if cu == nil {
			return "", "(no custodian)"
		}
		return cu.ID, cu.Name
	case ByJurisdiction:
		if cu == nil || cu.Jurisdiction == "" {
			return "", "(unknown)"
		}
		return cu.Jurisdiction, cu.Jurisdiction
	case ByCurrency:
		if l.Exposure == "" {
			return "", "(unknown)"
		}
		return l.Exposure, l.Exposure
	case ByAsset:
		switch h.Kind {
		case KindBTC:
			return string(UnitBTC), "Bitcoin"
		case KindGold, KindETF:
			return string(UnitXAU), "Gold"
		case KindCash:
			return h.Currency, h.Currency + " cash"
		}
		return h.Ticker, h.Ticker
	}
	return "", ""
}

// LineCoefficient returns line i's value as a whole number of the unit's
// smallest unit (Value × 10^Scale), and false when some line or the
// total does not fit an int64: fast paths that sum or scale many lines
// use it to avoid decimal arithmetic.
func (v *Valuation) LineCoefficient(i int) (int64, bool) {
	if !v.small {
		return 0, false
	}
	return v.coefs[i], true
}
