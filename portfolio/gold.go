package portfolio

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// WeightUnit is a unit of mass for physical gold.
type WeightUnit string

// Weight units. The tael is the Hong Kong gold tael (37.429 g), the one gold
// dealers quote; other taels differ (Taiwan 37.5 g, mainland 50 g), so record
// those in grams.
const (
	TroyOunce WeightUnit = "oz"
	Gram      WeightUnit = "g"
	Kilogram  WeightUnit = "kg"
	Tael      WeightUnit = "tael"
)

// WeightUnits lists the accepted weight units.
var WeightUnits = []WeightUnit{TroyOunce, Gram, Kilogram, Tael}

var (
	gramsPerTroyOunce = decimal.RequireFromString("31.1034768")
	gramsPer          = map[WeightUnit]decimal.Decimal{
		TroyOunce: gramsPerTroyOunce,
		Gram:      decimal.NewFromInt(1),
		Kilogram:  decimal.NewFromInt(1000),
		Tael:      decimal.RequireFromString("37.429"),
	}
	// ouncesPer is troy ounces per unit, to 24 places, so conversion is
	// one multiplication.
	ouncesPer = func() map[WeightUnit]decimal.Decimal {
		m := map[WeightUnit]decimal.Decimal{}
		for u, g := range gramsPer {
			m[u] = g.DivRound(gramsPerTroyOunce, 24)
		}
		m[TroyOunce] = decimal.NewFromInt(1)
		return m
	}()
	daysPerYear = decimal.NewFromInt(365)
)

// ParseWeightUnit reads a weight unit name.
func ParseWeightUnit(s string) (WeightUnit, error) {
	switch s {
	case "oz", "ozt", "troy_oz":
		return TroyOunce, nil
	case "g", "gram", "grams":
		return Gram, nil
	case "kg", "kilogram":
		return Kilogram, nil
	case "tael", "taels":
		return Tael, nil
	}
	return "", fmt.Errorf("unknown weight unit %q: want oz, g, kg or tael", s)
}

// ToTroyOunces converts an amount in unit u to troy ounces (1 oz =
// 31.1034768 g), exact to 24 decimal places.
func ToTroyOunces(amount decimal.Decimal, u WeightUnit) decimal.Decimal {
	f, ok := ouncesPer[u]
	if !ok {
		return decimal.Zero
	}
	if u == TroyOunce {
		return amount
	}
	return amount.Mul(f)
}

// FineOunces is the fine gold a holding represents, in troy ounces: pieces x
// weight x fineness for physical gold, shares x ounces per share for an ETF
// (with the per-share figure decayed by the expense ratio to date asOf), and
// zero for anything else.
func (h *Holding) FineOunces(asOf time.Time) decimal.Decimal {
	switch h.Kind {
	case KindGold:
		pieces := h.Pieces
		if pieces == 0 {
			pieces = 1
		}
		return ToTroyOunces(h.Weight, h.WeightUnit).Mul(h.Fineness).Mul(decimal.NewFromInt(pieces))
	case KindETF:
		return h.Units.Mul(h.OzPerShareAt(asOf))
	}
	return decimal.Zero
}

// OzPerShareAt estimates an ETF's fine ounces per share at t from the
// recorded figure, reduced by the expense ratio for the days in between
// (simple daily accrual, as the trusts sell gold to pay the fee). Dates before
// the recorded one return the recorded figure.
func (h *Holding) OzPerShareAt(t time.Time) decimal.Decimal {
	if h.OzPerShareDate.IsZero() || t.Before(h.OzPerShareDate) || h.ExpenseRatio.IsZero() {
		return h.OzPerShare
	}
	days := decimal.NewFromInt(int64(t.Sub(h.OzPerShareDate) / (24 * time.Hour)))
	decay := decimal.NewFromInt(1).Sub(h.ExpenseRatio.Mul(days).DivRound(daysPerYear, 24))
	if decay.IsNegative() {
		return decimal.Zero
	}
	return h.OzPerShare.Mul(decay)
}

// TotalGoldOunces sums fine gold across physical and ETF holdings.
func (p *Portfolio) TotalGoldOunces(asOf time.Time) decimal.Decimal {
	total := decimal.Zero
	for i := range p.Holdings {
		total = total.Add(p.Holdings[i].FineOunces(asOf))
	}
	return total
}
