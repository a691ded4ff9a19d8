package portfolio

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// BTC returns the bitcoin amount of a BTC holding (sats / 10^8).
func (h *Holding) BTC() decimal.Decimal {
	return decimal.New(h.Sats, -8)
}

// Native returns what the holding is priced in and how much of it there is:
// BTC for bitcoin, XAU (fine ounces) for physical gold, the ticker for ETFs
// and other assets, the currency for cash. An ETF whose ticker has no price
// is valued through its gold per share (see Valuate).
func (h *Holding) Native(asOf time.Time) (node string, amount decimal.Decimal) {
	switch h.Kind {
	case KindBTC:
		return string(UnitBTC), h.BTC()
	case KindGold:
		return string(UnitXAU), h.FineOunces(asOf)
	case KindETF, KindOther:
		return h.Ticker, h.Units
	case KindCash:
		return h.Currency, h.Amount
	}
	return "", decimal.Zero
}

// Exposure is the monetary unit the holding's value moves with: BTC, XAU for
// physical gold and gold ETFs, the currency for cash, and the price currency
// (given by the caller from the price book) for other assets.
func (h *Holding) Exposure() string {
	switch h.Kind {
	case KindBTC:
		return string(UnitBTC)
	case KindGold, KindETF:
		return string(UnitXAU)
	case KindCash:
		return h.Currency
	}
	return ""
}

// QuantityString is the holding's amount with its natural unit, for display:
// "1.25000000 BTC", "10 × 1 oz coin", "120 sh GLD", "25,000.00 EUR".
func (h *Holding) QuantityString() string {
	switch h.Kind {
	case KindBTC:
		return FormatDecimal(h.BTC(), 8) + " BTC"
	case KindGold:
		form := string(h.Form)
		if form == "" {
			form = "piece"
		}
		w := h.Weight.String() + " " + string(h.WeightUnit)
		if h.Pieces > 1 {
			return fmt.Sprintf("%d × %s %s", h.Pieces, w, form)
		}
		return w + " " + form
	case KindETF:
		return h.Units.String() + " sh " + h.Ticker
	case KindOther:
		return h.Units.String() + " " + h.Ticker
	case KindCash:
		return FormatDecimal(h.Amount, Unit(h.Currency).Scale()) + " " + h.Currency
	}
	return ""
}

// Label is the holding's name, or a description derived from its asset.
func (h *Holding) Label() string {
	if h.Name != "" {
		return h.Name
	}
	switch h.Kind {
	case KindBTC:
		return "Bitcoin"
	case KindGold:
		return "Gold " + string(h.Form)
	case KindETF, KindOther:
		return h.Ticker
	case KindCash:
		return h.Currency + " cash"
	}
	return h.ID
}

// Quantity returns the amount in the unit lots use: BTC, pieces for gold,
// shares or units, currency units.
func (h *Holding) Quantity() decimal.Decimal {
	switch h.Kind {
	case KindBTC:
		return h.BTC()
	case KindGold:
		if h.Pieces == 0 {
			return decimal.NewFromInt(1)
		}
		return decimal.NewFromInt(h.Pieces)
	case KindETF, KindOther:
		return h.Units
	case KindCash:
		return h.Amount
	}
	return decimal.Zero
}
