package history

import (
	"fmt"
	"strings"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// Exposure is the asset whose bundled history a holding's value follows.
type Exposure struct {
	Asset Asset
	// Proxy is true when the history stands in for a market it is not:
	// an "other" holding followed by US equities, say.
	Proxy bool
	// Note says what the history leaves out, in a sentence, or "".
	Note string
}

// Mapping says which asset's history each holding follows:
//
//   - bitcoin: BTC;
//   - physical gold and gold ETFs: XAU (an ETF's fee is not deducted: the
//     gold price is a monthly average, and 0.25-0.40% a year is below its
//     noise);
//   - USD cash: TBill (the 3-month T-bill rate);
//   - cash in another bundled currency: that currency's value in USD, with
//     no interest, since no foreign short rate is bundled;
//   - other holdings: Proxies by symbol, then by asset class, then Other
//     (Equities when empty), flagged as a proxy.
//
// Cash in a currency without bundled history has no exposure
// (*UnmappedError).
type Mapping struct {
	// Proxies maps an "other" holding's symbol, or its asset class in
	// lower case, to the asset standing in for it.
	Proxies map[string]Asset
	// Other is the asset for "other" holdings Proxies does not name;
	// empty means Equities.
	Other Asset
}

// NewMapping returns the mapping the portfolio configures: its proxies,
// and the defaults for the rest.
func NewMapping(p *portfolio.Portfolio) Mapping {
	m := Mapping{}
	if p == nil {
		return m
	}
	if len(p.Analysis.Proxies) > 0 {
		m.Proxies = make(map[string]Asset, len(p.Analysis.Proxies))
		for k, v := range p.Analysis.Proxies {
			m.Proxies[k] = Asset(v)
		}
	}
	m.Other = Asset(p.Analysis.OtherProxy)
	return m
}

// UnmappedError is a holding the bundled history cannot follow.
type UnmappedError struct {
	Holding string // its ID
	Reason  string
}

func (e *UnmappedError) Error() string { return fmt.Sprintf("holding %q: %s", e.Holding, e.Reason) }

// Exposure returns the asset whose history h follows; the error is an
// *UnmappedError.
func (m Mapping) Exposure(h *portfolio.Holding) (Exposure, error) {
	switch h.Kind {
	case portfolio.KindBTC:
		return Exposure{Asset: BTC}, nil
	case portfolio.KindGold:
		return Exposure{Asset: Gold}, nil
	case portfolio.KindETF:
		return Exposure{Asset: Gold, Note: "follows the gold price; the fund's fee is not deducted"}, nil
	case portfolio.KindCash:
		a := Asset(h.Currency)
		switch {
		case a == USD:
			return Exposure{Asset: TBill, Note: "earns the 3-month T-bill rate"}, nil
		case a.IsCurrency():
			return Exposure{Asset: a, Note: "exchange rate to USD only: no " + h.Currency + " interest rate is bundled"}, nil
		}
		return Exposure{}, &UnmappedError{Holding: h.ID, Reason: "no bundled exchange-rate history for " + h.Currency}
	case portfolio.KindOther:
		a, ok := m.Proxies[h.Ticker]
		if !ok && h.AssetClass != "" {
			a, ok = m.Proxies[strings.ToLower(h.AssetClass)]
		}
		if !ok {
			a = m.Other
		}
		if a == "" {
			a = Equities
		}
		return Exposure{Asset: a, Proxy: true, Note: "history of " + a.Name() + " stands in for " + h.Ticker}, nil
	}
	return Exposure{}, &UnmappedError{Holding: h.ID, Reason: fmt.Sprintf("unknown kind %q", h.Kind)}
}

// UnitAsset is the asset a valuation unit is measured with: BTC for BTC
// and sats, XAU for gold ounces, the currency itself otherwise. The error
// is an *UnknownAssetError for a currency without bundled history.
func UnitAsset(u portfolio.Unit) (Asset, error) {
	switch u {
	case "", "USD":
		return USD, nil
	case portfolio.UnitBTC, portfolio.UnitSat:
		return BTC, nil
	case portfolio.UnitXAU:
		return Gold, nil
	}
	a := Asset(u)
	if !a.IsCurrency() {
		return "", &UnknownAssetError{Asset: a}
	}
	return a, nil
}

// CheckAsset reports whether a names an asset with bundled history, for
// validating configured proxies without parsing the data.
func CheckAsset(a Asset) error {
	for _, x := range Assets() {
		if x == a {
			return nil
		}
	}
	return &UnknownAssetError{Asset: a}
}
