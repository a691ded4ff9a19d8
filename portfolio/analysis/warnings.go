package analysis

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// DefaultLimits are the limits of the rules the portfolio file leaves
// out (docs/file-format.md, [analysis.limits]).
var DefaultLimits = map[portfolio.Limit]decimal.Decimal{
	portfolio.LimitAssetClass:   decimal.RequireFromString("0.70"),
	portfolio.LimitCustodian:    decimal.RequireFromString("0.25"),
	portfolio.LimitCounterparty: decimal.RequireFromString("0.50"),
	portfolio.LimitJurisdiction: decimal.RequireFromString("0.60"),
	portfolio.LimitHome:         decimal.RequireFromString("0.50"),
	portfolio.LimitExchange:     decimal.RequireFromString("0.05"),
	portfolio.LimitExchangeBTC:  decimal.RequireFromString("0.10"),
	portfolio.LimitUninsured:    decimal.Zero,
	portfolio.LimitETFGold:      decimal.RequireFromString("0.50"),
}

// LimitOf is the limit the portfolio sets for rule l, or its default.
func LimitOf(p *portfolio.Portfolio, l portfolio.Limit) decimal.Decimal {
	if x, ok := p.Analysis.Limits[l]; ok {
		return x
	}
	return DefaultLimits[l]
}

// Severity says how much a warning matters.
type Severity string

// Severities.
const (
	SeverityWarning Severity = "warning" // a limit is exceeded or a single point of failure found
	SeverityNote    Severity = "note"    // something the analysis could not check
)

// Rules of warnings that are not limits.
const (
	RuleBTCKeys     = "btc_keys"     // all self-custodied bitcoin behind one device or building
	RuleNoCap       = "no_cap"       // a bank holding cash has no insurance cap recorded
	RuleCapUnpriced = "cap_unpriced" // deposits cannot be converted to the cap's currency
)

// Warning is one rule the portfolio breaks, or one it could not check.
type Warning struct {
	Rule     string // a portfolio.Limit, or one of the Rule constants
	Severity Severity
	// Limit is the share the rule allows and Share the share measured
	// (0..1); Limit is not Valid for rules without one.
	Limit    decimal.NullDecimal
	Share    decimal.Decimal
	Subject  string   // what it is about: a class, a custodian's name, a country
	Holdings []string // IDs of the holdings concerned
	Text     string
}

// Warnings checks v against the limits of its portfolio (and their
// defaults), custody-aware: bitcoin on exchanges, deposits above a bank's
// insurance cap, gold ETFs counted as claims on third parties rather than
// gold held, one jurisdiction, one party, one building. failures is what
// Failures returned for v.
func Warnings(v *portfolio.Valuation, failures []Failure) []Warning {
	p := v.Portfolio
	out := []Warning{}
	if v.Total.Sign() <= 0 {
		return out
	}
	over := func(l portfolio.Limit, s decimal.Decimal, subject string, holdings []string, text string) {
		lim := LimitOf(p, l)
		if s.GreaterThan(lim) {
			out = append(out, Warning{Rule: string(l), Severity: SeverityWarning, Limit: decimal.NewNullDecimal(lim), Share: s,
				Subject: subject, Holdings: holdings, Text: fmt.Sprintf("%s, above your %s limit", text, Percent(lim))})
		}
	}
	cust := custodianMap(p)
	byClass := map[string][]string{}
	for _, l := range v.Lines {
		if h := &p.Holdings[l.Index]; !l.Unpriced && l.Value.Sign() > 0 {
			byClass[h.Kind.Class()] = append(byClass[h.Kind.Class()], h.ID)
		}
	}
	for _, s := range v.Allocation(portfolio.ByClass) {
		over(portfolio.LimitAssetClass, s.Weight, s.Label, byClass[s.Key], fmt.Sprintf("%s is %s of net worth", s.Label, Percent(s.Weight)))
	}
	for _, f := range failures {
		switch f.Kind {
		case FailureParty:
			over(portfolio.LimitCustodian, f.Share, f.Label, f.Holdings, capitalise(f.Text))
		case FailureJurisdiction:
			over(portfolio.LimitJurisdiction, f.Share, f.Label, f.Holdings, capitalise(f.Text))
		case FailureHome:
			over(portfolio.LimitHome, f.Share, f.Label, f.Holdings, capitalise(f.Text))
		case FailureKeys:
			out = append(out, Warning{Rule: RuleBTCKeys, Severity: SeverityWarning, Share: f.Share, Subject: f.Label, Holdings: f.Holdings,
				Text: capitalise(f.Text)})
		}
	}

	// Third parties, exchanges, bitcoin on exchanges, ETF gold.
	thirdParty, exchange := decimal.Zero, decimal.Zero
	var thirdIDs, exchangeIDs, exchangeBTCIDs, etfIDs []string
	var sats, exchangeSats int64
	gold, etfGold := decimal.Zero, decimal.Zero
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		c := cust[h.Custodian]
		if h.Kind == portfolio.KindBTC {
			sats += h.Sats
			if c != nil && c.Kind == portfolio.CustodyExchange {
				exchangeSats += h.Sats
				exchangeBTCIDs = append(exchangeBTCIDs, h.ID)
			}
		}
		if h.Kind == portfolio.KindGold || h.Kind == portfolio.KindETF {
			oz := h.FineOunces(v.AsOf)
			gold = gold.Add(oz)
			if h.Kind == portfolio.KindETF {
				etfGold = etfGold.Add(oz)
				etfIDs = append(etfIDs, h.ID)
			}
		}
		if l.Unpriced || l.Value.Sign() <= 0 {
			continue
		}
		if (c != nil && !c.Kind.SelfCustody()) || h.Kind == portfolio.KindETF {
			thirdParty = thirdParty.Add(l.Value)
			thirdIDs = append(thirdIDs, h.ID)
		}
		if c != nil && c.Kind == portfolio.CustodyExchange {
			exchange = exchange.Add(l.Value)
			exchangeIDs = append(exchangeIDs, h.ID)
		}
	}
	tp := share(thirdParty, v.Total)
	over(portfolio.LimitCounterparty, tp, "third parties", thirdIDs,
		fmt.Sprintf("%s of net worth is held by third parties (vaults, brokers, ETF trusts, exchanges, banks), gold ETFs included", Percent(tp)))
	ex := share(exchange, v.Total)
	over(portfolio.LimitExchange, ex, "exchanges", exchangeIDs, fmt.Sprintf("%s of net worth is on exchanges", Percent(ex)))
	if sats > 0 {
		s := decimal.New(exchangeSats, 0).DivRound(decimal.New(sats, 0), 12)
		over(portfolio.LimitExchangeBTC, s, "bitcoin on exchanges", exchangeBTCIDs,
			fmt.Sprintf("%s of your bitcoin is on exchanges: not your keys", Percent(s)))
	}
	if gold.Sign() > 0 {
		s := etfGold.DivRound(gold, 12)
		over(portfolio.LimitETFGold, s, "gold ETFs", etfIDs,
			fmt.Sprintf("%s of your gold is ETF shares: a claim on a trust through a broker, not metal you hold", Percent(s)))
	}
	return append(out, depositWarnings(v)...)
}

// depositWarnings compares the cash each bank holds with its
// deposit-insurance cap, in the cap's currency; the excess, valued in the
// valuation unit, is checked against the uninsured limit.
func depositWarnings(v *portfolio.Valuation) []Warning {
	p := v.Portfolio
	var out []Warning
	var inUnit *portfolio.Converter
	deposits := map[string][]int{} // custodian ID -> indexes of its cash holdings
	for i := range p.Holdings {
		if h := &p.Holdings[i]; h.Kind == portfolio.KindCash && h.Amount.Sign() > 0 {
			deposits[h.Custodian] = append(deposits[h.Custodian], i)
		}
	}
	for i := range p.Custodians {
		c := &p.Custodians[i]
		if c.Kind != portfolio.CustodyBank || len(deposits[c.ID]) == 0 {
			continue
		}
		var ids []string
		for _, j := range deposits[c.ID] {
			ids = append(ids, p.Holdings[j].ID)
		}
		if c.InsuranceCap.IsZero() {
			out = append(out, Warning{Rule: RuleNoCap, Severity: SeverityNote, Subject: c.Name, Holdings: ids,
				Text: fmt.Sprintf("%s holds cash but has no deposit-insurance cap recorded (insurance_cap): its deposits are not checked against one", c.Name)})
			continue
		}
		capUnit := portfolio.Unit(c.InsuranceCurrency)
		conv := portfolio.NewConverter(p, capUnit)
		held := decimal.Zero
		ok := true
		for _, j := range deposits[c.ID] {
			h := &p.Holdings[j]
			x, priced := conv.Value(h.Currency, h.Amount)
			ok = ok && priced
			held = held.Add(x)
		}
		if !ok {
			out = append(out, Warning{Rule: RuleCapUnpriced, Severity: SeverityNote, Subject: c.Name, Holdings: ids,
				Text: fmt.Sprintf("%s: no exchange rate to %s, so its deposits cannot be compared with its insurance cap", c.Name, c.InsuranceCurrency)})
			continue
		}
		excess := held.Sub(c.InsuranceCap)
		if excess.Sign() <= 0 {
			continue
		}
		if inUnit == nil {
			inUnit = portfolio.NewConverter(p, v.Unit)
		}
		x, _ := inUnit.Value(c.InsuranceCurrency, excess)
		s := share(x, v.Total)
		lim := LimitOf(p, portfolio.LimitUninsured)
		if s.GreaterThan(lim) {
			out = append(out, Warning{Rule: string(portfolio.LimitUninsured), Severity: SeverityWarning, Limit: decimal.NewNullDecimal(lim), Share: s,
				Subject: c.Name, Holdings: ids,
				Text: fmt.Sprintf("%s holds %s of deposits, %s above its insurance cap of %s (%s of net worth uninsured), above your %s limit",
					c.Name, capUnit.Format(held), capUnit.Format(excess), capUnit.Format(c.InsuranceCap), Percent(s), Percent(lim))})
		}
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
