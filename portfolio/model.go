// Package portfolio is hardfolio's domain: holdings of bitcoin, gold, cash
// and other assets, the custodians that hold them, the price book, and
// valuation in any unit. It does no network and no terminal I/O; money is
// decimal.Decimal or integer sats, never float.
package portfolio

import (
	"time"

	"github.com/shopspring/decimal"
)

// SchemaVersion is the portfolio file format this build writes.
const SchemaVersion = 1

// Kind is the kind of asset a holding is.
type Kind string

// Holding kinds.
const (
	KindBTC   Kind = "btc"   // bitcoin, counted in integer sats
	KindGold  Kind = "gold"  // physical gold: coins and bars by weight and fineness
	KindETF   Kind = "etf"   // a gold exchange-traded fund held as shares
	KindCash  Kind = "cash"  // fiat money in one ISO 4217 currency
	KindOther Kind = "other" // anything else with a unit price: equity fund, bond...
)

// Kinds lists every holding kind in display order.
var Kinds = []Kind{KindBTC, KindGold, KindETF, KindCash, KindOther}

// Class is the asset class a holding belongs to for allocation: gold ETFs
// count as gold.
func (k Kind) Class() string {
	switch k {
	case KindBTC:
		return "Bitcoin"
	case KindGold, KindETF:
		return "Gold"
	case KindCash:
		return "Cash"
	}
	return "Other"
}

// CustodyKind says what sort of place or party holds an asset.
type CustodyKind string

// Custody kinds.
const (
	CustodyHardwareWallet CustodyKind = "hardware_wallet"
	CustodyMultisig       CustodyKind = "multisig"
	CustodyHomeSafe       CustodyKind = "home_safe"
	CustodyVault          CustodyKind = "vault"
	CustodyBroker         CustodyKind = "broker"
	CustodyETFTrust       CustodyKind = "etf_trust"
	CustodyExchange       CustodyKind = "exchange"
	CustodyBank           CustodyKind = "bank"
)

// CustodyKinds lists every custody kind, self-custody first.
var CustodyKinds = []CustodyKind{
	CustodyHardwareWallet, CustodyMultisig, CustodyHomeSafe, CustodyVault,
	CustodyBroker, CustodyETFTrust, CustodyExchange, CustodyBank,
}

// SelfCustody reports whether the owner alone controls assets held this way.
func (k CustodyKind) SelfCustody() bool {
	return k == CustodyHardwareWallet || k == CustodyMultisig || k == CustodyHomeSafe
}

// Label is the custody kind in words.
func (k CustodyKind) Label() string {
	switch k {
	case CustodyHardwareWallet:
		return "Hardware wallet"
	case CustodyMultisig:
		return "Multisig"
	case CustodyHomeSafe:
		return "Home safe"
	case CustodyVault:
		return "Vault"
	case CustodyBroker:
		return "Broker"
	case CustodyETFTrust:
		return "ETF trust"
	case CustodyExchange:
		return "Exchange"
	case CustodyBank:
		return "Bank"
	}
	return string(k)
}

// Custodian is a place or party that holds assets: a hardware wallet, a safe,
// a vault operator, a broker, an exchange, a bank.
type Custodian struct {
	ID           string
	Name         string
	Kind         CustodyKind
	Jurisdiction string // ISO 3166-1 alpha-2 country code
	// InsuranceCap is a bank's deposit-insurance limit per depositor, in
	// InsuranceCurrency; zero means none stated.
	InsuranceCap      decimal.Decimal
	InsuranceCurrency string
	Notes             string
}

// GoldForm is the physical form of a gold holding.
type GoldForm string

// Gold forms.
const (
	FormCoin GoldForm = "coin"
	FormBar  GoldForm = "bar"
)

// Lot is one acquisition of (part of) a holding: when, how much and at what
// total cost. Quantity is in the holding's natural unit (BTC, pieces of gold,
// shares, currency units, units).
type Lot struct {
	Date         time.Time
	Quantity     decimal.Decimal
	Cost         decimal.Decimal
	CostCurrency string
}

// Holding is one position: an asset, how much of it, and who holds it. Which
// fields apply depends on Kind; Validate says which are required.
type Holding struct {
	ID        string
	Kind      Kind
	Name      string // free label, e.g. "Krugerrand 1 oz"
	Custodian string // ID of the custodian holding it

	// Bitcoin.
	Sats   int64
	Wallet string // optional watch-only wallet that supplies the balance

	// Physical gold: Pieces items of gross Weight each, at Fineness.
	Weight     decimal.Decimal
	WeightUnit WeightUnit
	Fineness   decimal.Decimal // 0 < f <= 1, e.g. 0.9999 or 0.9167
	Pieces     int64
	Form       GoldForm
	Serial     string

	// Gold ETF and other assets: Units of Ticker, priced per unit.
	Ticker string
	Units  decimal.Decimal
	// ETF only: fine gold per share as of OzPerShareDate (it drifts down by
	// the expense ratio), the annual expense ratio, and optionally the
	// custodian ID of the ETF trust.
	OzPerShare     decimal.Decimal
	OzPerShareDate time.Time
	ExpenseRatio   decimal.Decimal
	Issuer         string
	// Other assets: a free class label (equity fund, bond...).
	AssetClass string

	// Cash.
	Currency string
	Amount   decimal.Decimal

	Notes string
	Lots  []Lot
}

// Price is the latest known price of one unit of Asset (BTC, XAU per troy
// ounce, or a ticker) in Currency.
type Price struct {
	Asset    string
	Value    decimal.Decimal
	Currency string
	Time     time.Time
	Source   string // manual, csv, or a feed name
}

// FXRate says that one unit of Base is worth Rate units of Quote.
type FXRate struct {
	Base   string
	Quote  string
	Rate   decimal.Decimal
	Time   time.Time
	Source string
}

// Settings are the portfolio's preferences.
type Settings struct {
	Unit        Unit          // default valuation unit
	StaleAfter  time.Duration // a price older than this is flagged stale
	HomeCountry string        // the owner's country, for custody analysis
}

// DefaultStaleAfter is the price age past which prices are flagged stale when
// the portfolio does not say.
const DefaultStaleAfter = 7 * 24 * time.Hour

// Portfolio is everything the owner keeps: custodians, holdings and the
// price book. It is a value: copying it with Clone gives an independent copy
// that edits do not share.
type Portfolio struct {
	Schema     int
	Name       string
	Settings   Settings
	Custodians []Custodian
	Holdings   []Holding
	Prices     []Price
	FX         []FXRate
	Wallets    []WalletConfig
	// Registrations are the multisig wallets registered on devices.
	Registrations []Registration
	Analysis      AnalysisSettings
	// Rebalance holds the targets, bands, constraints, costs and saved
	// what-ifs of rebalancing.
	Rebalance RebalanceSettings
	// Scenarios are the owner's own stress tests, besides the built-in
	// ones of package stress.
	Scenarios []Scenario
}

// Clone returns a deep copy of p.
func (p *Portfolio) Clone() *Portfolio {
	c := *p
	c.Custodians = append([]Custodian(nil), p.Custodians...)
	c.Holdings = make([]Holding, len(p.Holdings))
	for i, h := range p.Holdings {
		h.Lots = append([]Lot(nil), h.Lots...)
		c.Holdings[i] = h
	}
	c.Prices = append([]Price(nil), p.Prices...)
	c.FX = append([]FXRate(nil), p.FX...)
	c.Wallets = append([]WalletConfig(nil), p.Wallets...)
	c.Registrations = append([]Registration(nil), p.Registrations...)
	c.Analysis = p.Analysis.clone()
	c.Rebalance = p.Rebalance.clone()
	c.Scenarios = nil
	for i := range p.Scenarios {
		c.Scenarios = append(c.Scenarios, p.Scenarios[i].clone())
	}
	return &c
}

// Custodian returns the custodian with the given ID, or nil.
func (p *Portfolio) Custodian(id string) *Custodian {
	for i := range p.Custodians {
		if p.Custodians[i].ID == id {
			return &p.Custodians[i]
		}
	}
	return nil
}

// HoldingIndex returns the index of the holding with the given ID, or -1.
func (p *Portfolio) HoldingIndex(id string) int {
	for i := range p.Holdings {
		if p.Holdings[i].ID == id {
			return i
		}
	}
	return -1
}

// StaleAfter is the configured staleness threshold or the default.
func (p *Portfolio) StaleAfter() time.Duration {
	if p.Settings.StaleAfter > 0 {
		return p.Settings.StaleAfter
	}
	return DefaultStaleAfter
}

// DefaultUnit is the configured valuation unit, USD if none.
func (p *Portfolio) DefaultUnit() Unit {
	if p.Settings.Unit != "" {
		return p.Settings.Unit
	}
	return "USD"
}
