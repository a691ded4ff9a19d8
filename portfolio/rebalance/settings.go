package rebalance

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// MaxTxVBytes is the largest typical transaction size accepted: Bitcoin
// Core's MAX_STANDARD_TX_WEIGHT of 400,000 weight units is 100,000 vbytes.
const MaxTxVBytes = 100_000

// Setting is one cost or constraint of the [rebalance] section, as the
// command line (`hardfolio rebalance costs`) and the Rebalance screen's
// form edit it: written as text by Get and read back by Set, which
// checks it and says precisely what is wrong. An empty text clears it.
type Setting struct {
	Name  string // the flag's name: fee-rate
	Label string // what it is, in words
	Short string // the same in a few words, for a form
	Hint  string // an example of the text Set reads
	Get   func(s *portfolio.RebalanceSettings) string
	Set   func(p *portfolio.Portfolio, text string) error
}

// Settings are the costs and constraints a user edits, in the order the
// command and the form show them.
var Settings = []Setting{
	{Name: "fee-rate", Short: "BTC fee rate, sat/vB", Label: "Bitcoin on-chain fee rate (sat/vB)", Hint: "8",
		Get: func(s *portfolio.RebalanceSettings) string { return plainDec(s.Costs.FeeRate) },
		Set: func(p *portfolio.Portfolio, t string) error {
			d, err := parseNonNegative(t, "a fee rate in sat/vB, such as 8 or 2.5")
			p.Rebalance.Costs.FeeRate = d
			return err
		}},
	{Name: "tx-vbytes", Short: "BTC transaction size, vB", Label: "Typical bitcoin transaction size (vB)", Hint: fmt.Sprint(portfolio.DefaultTxVBytes),
		Get: func(s *portfolio.RebalanceSettings) string {
			if s.Costs.TxVBytes == 0 {
				return ""
			}
			return fmt.Sprint(s.Costs.TxVBytes)
		},
		Set: func(p *portfolio.Portfolio, t string) error {
			n, err := ParseVBytes(t)
			p.Rebalance.Costs.TxVBytes = n
			return err
		}},
	{Name: "commission", Short: "Broker commission a trade", Label: "Broker commission per ETF or other trade", Hint: "1.00 USD",
		Get: func(s *portfolio.RebalanceSettings) string {
			return plainAmount(s.Costs.Commission, s.Costs.CommissionCurrency)
		},
		Set: func(p *portfolio.Portfolio, t string) error {
			a, cur, err := ParseAmount(t)
			p.Rebalance.Costs.Commission, p.Rebalance.Costs.CommissionCurrency = a, cur
			return err
		}},
	{Name: "gold-premium", Short: "Gold premium buying, %", Label: "Gold dealer premium over spot, buying (%)", Hint: "4",
		Get: func(s *portfolio.RebalanceSettings) string { return plainPercent(s.Costs.GoldPremium) },
		Set: func(p *portfolio.Portfolio, t string) error {
			d, err := ParseCostShare(t)
			p.Rebalance.Costs.GoldPremium = d
			return err
		}},
	{Name: "gold-spread", Short: "Gold spread selling, %", Label: "Gold dealer spread below spot, selling (%)", Hint: "1.5",
		Get: func(s *portfolio.RebalanceSettings) string { return plainPercent(s.Costs.GoldSpread) },
		Set: func(p *portfolio.Portfolio, t string) error {
			d, err := ParseCostShare(t)
			p.Rebalance.Costs.GoldSpread = d
			return err
		}},
	{Name: "fx-spread", Short: "FX spread, %", Label: "FX spread converting currencies (%)", Hint: "0.25",
		Get: func(s *portfolio.RebalanceSettings) string { return plainPercent(s.Costs.FXSpread) },
		Set: func(p *portfolio.Portfolio, t string) error {
			d, err := ParseCostShare(t)
			p.Rebalance.Costs.FXSpread = d
			return err
		}},
	{Name: "min-trade", Short: "Minimum trade", Label: "Minimum trade", Hint: "250 EUR",
		Get: func(s *portfolio.RebalanceSettings) string { return plainAmount(s.MinTrade, s.MinTradeCurrency) },
		Set: func(p *portfolio.Portfolio, t string) error {
			a, cur, err := ParseAmount(t)
			p.Rebalance.MinTrade, p.Rebalance.MinTradeCurrency = a, cur
			return err
		}},
	{Name: "never-sell", Short: "Never sell", Label: "Never sell (classes, assets, tickers, holding IDs)", Hint: "BTC, vault-bar",
		Get: func(s *portfolio.RebalanceSettings) string { return strings.Join(s.NeverSell, ", ") },
		Set: func(p *portfolio.Portfolio, t string) error {
			refs := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' })
			p.Rebalance.NeverSell = nil
			for _, r := range refs {
				if err := AddNeverSell(p, r); err != nil {
					return err
				}
			}
			return nil
		}},
}

// SettingNamed is the setting with the given flag name, or nil.
func SettingNamed(name string) *Setting {
	for i := range Settings {
		if Settings[i].Name == name {
			return &Settings[i]
		}
	}
	return nil
}

func plainDec(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func plainPercent(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.Shift(2).String()
}

func plainAmount(d decimal.Decimal, cur string) string {
	if d.IsZero() {
		return ""
	}
	return d.String() + " " + cur
}

func parseNonNegative(t, want string) (decimal.Decimal, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(strings.ReplaceAll(t, ",", ""))
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a number: want %s", t, want)
	}
	if d.IsNegative() {
		return decimal.Zero, fmt.Errorf("%s is negative: want %s", t, want)
	}
	return d, nil
}

// ParseVBytes reads a typical transaction size in vbytes: a whole number
// from 1 to MaxTxVBytes, or empty (or 0) for DefaultTxVBytes.
func ParseVBytes(t string) (int64, error) {
	d, err := parseNonNegative(t, fmt.Sprintf("a whole number of vbytes, such as %d", portfolio.DefaultTxVBytes))
	if err != nil {
		return 0, err
	}
	if !d.IsInteger() {
		return 0, fmt.Errorf("%s is not a whole number of vbytes", strings.TrimSpace(t))
	}
	if d.GreaterThan(decimal.NewFromInt(MaxTxVBytes)) {
		return 0, fmt.Errorf("%s vB is larger than a standard transaction can be (%d vB)", d, MaxTxVBytes)
	}
	return d.IntPart(), nil
}

// ParseCostShare reads a cost in percent of the trade ("4", "1.5%") as a
// share from 0 up to, not including, 1; empty is 0.
func ParseCostShare(t string) (decimal.Decimal, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		return decimal.Zero, nil
	}
	d, err := ParsePercent(t)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%w: want a percentage of the trade, such as 1.5", err)
	}
	if d.IsNegative() || d.GreaterThanOrEqual(decimal.NewFromInt(1)) {
		return decimal.Zero, fmt.Errorf("%s%% is not a cost: want from 0 to below 100 percent of the trade", d.Shift(2))
	}
	return d, nil
}

// ParseAmount reads "AMOUNT CURRENCY" ("1.00 USD", "250 eur"), the amount
// not negative; empty or an amount of 0 (with or without a currency)
// clears it.
func ParseAmount(t string) (decimal.Decimal, string, error) {
	f := strings.Fields(t)
	if len(f) == 0 {
		return decimal.Zero, "", nil
	}
	d, err := decimal.NewFromString(strings.ReplaceAll(f[0], ",", ""))
	if err != nil {
		return decimal.Zero, "", fmt.Errorf("%q is not an amount: want AMOUNT CURRENCY, such as 250 EUR", f[0])
	}
	if d.IsNegative() {
		return decimal.Zero, "", fmt.Errorf("%s is negative: want AMOUNT CURRENCY, such as 250 EUR", f[0])
	}
	if d.IsZero() && len(f) <= 2 {
		return decimal.Zero, "", nil
	}
	if len(f) != 2 {
		return decimal.Zero, "", fmt.Errorf("%q: want AMOUNT CURRENCY, such as 250 EUR", strings.TrimSpace(t))
	}
	cur := strings.ToUpper(f[1])
	if err := portfolio.CheckCurrency(cur); err != nil {
		return decimal.Zero, "", err
	}
	return d, cur, nil
}

// NeverSellError is a never-sell reference that cannot be added or
// removed.
type NeverSellError struct {
	Ref string
	Msg string
}

func (e *NeverSellError) Error() string { return fmt.Sprintf("never sell %q: %s", e.Ref, e.Msg) }

// AddNeverSell adds ref to p's never-sell list. It must name something a
// plan could sell: an asset class, a holding (by ID, asset or ticker) or
// a target's key; and not be on the list already.
func AddNeverSell(p *portfolio.Portfolio, ref string) error {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return &NeverSellError{Ref: ref, Msg: "name a class, an asset, a ticker or a holding ID"}
	}
	for _, n := range p.Rebalance.NeverSell {
		if strings.EqualFold(n, ref) {
			return &NeverSellError{Ref: ref, Msg: "on the list already"}
		}
	}
	// Written as the plan reads it best: a class by its name, a holding
	// by its ID, anything else (an asset, a ticker) in capitals.
	canon, known := strings.ToUpper(ref), false
	for _, t := range p.Rebalance.Targets {
		known = known || strings.EqualFold(ref, t.Key)
	}
	for i := range p.Holdings {
		if h := &p.Holdings[i]; Matches(ref, h) {
			known = true
		}
	}
	if i := p.HoldingIndex(strings.ToLower(ref)); i >= 0 {
		canon = p.Holdings[i].ID
	}
	for _, c := range []string{"Bitcoin", "Gold", "Cash", "Other"} {
		if strings.EqualFold(ref, c) {
			canon, known = c, true
		}
	}
	if !known {
		return &NeverSellError{Ref: ref, Msg: "names no holding, asset, ticker, target or class (Bitcoin, Gold, Cash, Other)"}
	}
	ref = canon
	p.Rebalance.NeverSell = append(p.Rebalance.NeverSell, ref)
	return nil
}

// RemoveNeverSell takes ref (any case) off p's never-sell list.
func RemoveNeverSell(p *portfolio.Portfolio, ref string) error {
	s := &p.Rebalance
	for i, n := range s.NeverSell {
		if strings.EqualFold(n, strings.TrimSpace(ref)) {
			s.NeverSell = append(s.NeverSell[:i:i], s.NeverSell[i+1:]...)
			return nil
		}
	}
	has := "the list is empty"
	if len(s.NeverSell) > 0 {
		has = "the list has " + strings.Join(s.NeverSell, ", ")
	}
	return &NeverSellError{Ref: ref, Msg: "not on the list: " + has}
}
