package common

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// Snapshot is a portfolio valued in one unit at one moment, with
// everything the screens show already worked out: the allocation slices,
// one display row per holding and one per price. It is built in a command
// (see Valuate) and never changed afterwards, so screens can share it.
type Snapshot struct {
	Portfolio *portfolio.Portfolio
	Valuation *portfolio.Valuation
	Unit      portfolio.Unit
	AsOf      time.Time

	Allocations [][]portfolio.Slice // by portfolio.Dimensions
	SelfCustody decimal.Decimal     // weight held in self-custody, 0..1
	Custodians  int                 // custodians that hold something
	Rows        []Row               // one per holding, in file order
	Prices      []PriceRow          // the price book: prices, then FX
	StaleAfter  time.Duration
}

// Row is one holding as the holdings table shows it. The strings are
// ready to print; the other fields serve sorting and filtering.
type Row struct {
	Index    int // in Portfolio.Holdings
	ID       string
	Kind     portfolio.Kind
	Asset    string
	Quantity string
	Custody  string
	Value    string
	Weight   string
	Age      string

	Stale    bool
	Unpriced bool
	Amount   decimal.Decimal // Valuation line value
	Qty      decimal.Decimal // Holding.Quantity
	AgeDur   time.Duration   // -1 when no quote was needed
	Search   string          // lower-case text the filter matches
	AssetKey string          // lower-case Asset, for sorting
	CustKey  string          // lower-case Custody, for sorting

	// Widths of the display strings in cells, measured once here so
	// that laying out a table of thousands of rows is only arithmetic.
	AssetW, QuantityW, CustodyW, ValueW, WeightW, AgeW int
}

// PriceRow is one entry of the price book.
type PriceRow struct {
	Label  string // BTC, GLD, USD→EUR
	Value  string // 81,250.00 USD; 0.865
	Age    string
	Stale  bool
	Source string
}

// BuildSnapshot values p in unit at now and prepares what the screens
// show. It is pure and can take a few milliseconds for a large portfolio,
// so the interface calls it from a command.
func BuildSnapshot(p *portfolio.Portfolio, unit portfolio.Unit, now time.Time) *Snapshot {
	v := portfolio.Valuate(p, unit, now)
	s := &Snapshot{Portfolio: p, Valuation: v, Unit: unit, AsOf: now, StaleAfter: p.StaleAfter()}
	for _, d := range portfolio.Dimensions {
		s.Allocations = append(s.Allocations, v.Allocation(d))
	}
	for _, sl := range s.Allocations[indexOf(portfolio.ByCustodyKind)] {
		if portfolio.CustodyKind(sl.Key).SelfCustody() {
			s.SelfCustody = s.SelfCustody.Add(sl.Weight)
		}
	}
	for _, sl := range s.Allocations[indexOf(portfolio.ByCustodian)] {
		if sl.Key != "" {
			s.Custodians++
		}
	}

	names := make(map[string]string, len(p.Custodians))
	for _, c := range p.Custodians {
		names[c.ID] = c.Name
	}
	scale := unit.Scale()
	s.Rows = make([]Row, len(p.Holdings))
	for i := range p.Holdings {
		h := &p.Holdings[i]
		l := v.Lines[i]
		cust := names[h.Custodian]
		if cust == "" {
			cust = h.Custodian
		}
		r := Row{
			Index:    i,
			ID:       h.ID,
			Kind:     h.Kind,
			Asset:    h.Label(),
			Quantity: h.QuantityString(),
			Custody:  cust,
			Stale:    l.Stale,
			Unpriced: l.Unpriced,
			Amount:   l.Value,
			Qty:      h.Quantity(),
			AgeDur:   -1,
		}
		switch {
		case l.Unpriced:
			r.Value, r.Weight, r.Age = "—", "—", "no price"
		default:
			r.Value = portfolio.FormatDecimal(l.Value, scale)
			r.Weight = Percent(l.Weight)
			r.Age = "—"
			if !l.PriceTime.IsZero() {
				r.AgeDur = l.Age
				r.Age = Age(l.Age)
				if l.Stale {
					r.Age += " stale"
				}
			}
		}
		r.Search = strings.ToLower(strings.Join([]string{h.ID, string(h.Kind), h.Kind.Class(), r.Asset, r.Quantity, r.Custody, h.Custodian, h.Ticker, h.Currency}, "\x00"))
		r.AssetKey, r.CustKey = strings.ToLower(r.Asset), strings.ToLower(r.Custody)
		r.AssetW, r.QuantityW, r.CustodyW = Width(r.Asset), Width(r.Quantity), Width(r.Custody)
		r.ValueW, r.WeightW, r.AgeW = Width(r.Value), Width(r.Weight), Width(r.Age)
		s.Rows[i] = r
	}

	staleAfter := p.StaleAfter()
	for _, pr := range p.SortedPrices() {
		age := now.Sub(pr.Time)
		s.Prices = append(s.Prices, PriceRow{
			Label:  pr.Asset,
			Value:  portfolio.FormatDecimal(pr.Value, priceScale(pr.Value, portfolio.Unit(pr.Currency).Scale())) + " " + pr.Currency,
			Age:    Age(age),
			Stale:  age > staleAfter,
			Source: pr.Source,
		})
	}
	fx := append([]portfolio.FXRate(nil), p.FX...)
	sort.Slice(fx, func(i, j int) bool {
		if fx[i].Base != fx[j].Base {
			return fx[i].Base < fx[j].Base
		}
		return fx[i].Quote < fx[j].Quote
	})
	for _, r := range fx {
		age := now.Sub(r.Time)
		s.Prices = append(s.Prices, PriceRow{
			Label:  r.Base + "→" + r.Quote,
			Value:  r.Rate.String(),
			Age:    Age(age),
			Stale:  age > staleAfter,
			Source: r.Source,
		})
	}
	return s
}

// priceScale shows at least the currency's decimals and more when the
// price has them (a penny stock, a fraction of a cent).
func priceScale(v decimal.Decimal, min int32) int32 {
	if e := -v.Exponent(); e > min {
		return e
	}
	return min
}

func indexOf(d portfolio.Dimension) int {
	for i, x := range portfolio.Dimensions {
		if x == d {
			return i
		}
	}
	return 0
}

// Allocation returns the snapshot's slices along d.
func (s *Snapshot) Allocation(d portfolio.Dimension) []portfolio.Slice {
	return s.Allocations[indexOf(d)]
}

// Total is the net worth, formatted with its unit.
func (s *Snapshot) Total() string { return s.Unit.Format(s.Valuation.Total) }

// Percent writes a weight (0..1) as a percentage with one decimal,
// rounded half away from zero.
func Percent(w decimal.Decimal) string {
	pm := portfolio.PerMille(w)
	sign := ""
	if pm < 0 {
		sign, pm = "-", -pm
	}
	return sign + strconv.FormatInt(pm/10, 10) + "." + strconv.FormatInt(pm%10, 10) + "%"
}

// Age writes how old a quote is, in the largest whole unit that fits:
// 40s, 12m, 5h, 3d.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "future"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// Width is the number of terminal cells s takes.
func Width(s string) int { return ansi.StringWidth(s) }

// Truncate shortens s to at most w cells, ending in "…" when cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// PadRight pads s with spaces to w cells (truncating when longer).
func PadRight(s string, w int) string {
	s = Truncate(s, w)
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// PadLeft right-aligns s in w cells (truncating when longer).
func PadLeft(s string, w int) string {
	s = Truncate(s, w)
	if n := w - ansi.StringWidth(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}
