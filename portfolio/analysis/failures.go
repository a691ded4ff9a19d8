package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// FailureKind is what a single point of failure is.
type FailureKind string

// Kinds of single points of failure.
const (
	// FailureParty is a third party (custodian or ETF issuer) that could
	// fail, freeze or lose what depends on it: a vault operator, broker,
	// ETF trust, exchange or bank.
	FailureParty FailureKind = "party"
	// FailureHome is your home: home safes, and hardware wallets in your
	// home country, which are assumed kept there. One fire or burglary.
	FailureHome FailureKind = "home"
	// FailureKeys is all self-custodied bitcoin behind one hardware
	// wallet, or in one building.
	FailureKeys FailureKind = "btc_keys"
	// FailureJurisdiction is one country's law (confiscation, capital
	// controls, sanctions): a slower risk than the others.
	FailureJurisdiction FailureKind = "jurisdiction"
)

// Failure is one single point of failure: a party, place or set of keys
// on which part of the net worth depends.
type Failure struct {
	Kind     FailureKind
	Key      string // custodian ID, "home", country code
	Label    string // "Interactive Brokers", "your home", "DE"
	Value    decimal.Decimal
	Share    decimal.Decimal // of net worth, 0..1
	Holdings []string        // IDs of the holdings that depend on it
	Text     string          // the point in plain words
}

// partyNoun names a third-party custody kind in a sentence.
func partyNoun(k portfolio.CustodyKind) string {
	switch k {
	case portfolio.CustodyVault:
		return "vault operator"
	case portfolio.CustodyETFTrust:
		return "ETF trust"
	}
	return strings.ToLower(k.Label())
}

// homeCountry is the country whose hardware wallets and home safes are
// taken to be in the owner's home: the home country the settings give,
// else the first home safe's jurisdiction, else the first hardware
// wallet's.
func homeCountry(p *portfolio.Portfolio) string {
	if p.Settings.HomeCountry != "" {
		return p.Settings.HomeCountry
	}
	for _, k := range []portfolio.CustodyKind{portfolio.CustodyHomeSafe, portfolio.CustodyHardwareWallet} {
		for _, c := range p.Custodians {
			if c.Kind == k {
				return c.Jurisdiction
			}
		}
	}
	return ""
}

// atHome reports whether what custodian c holds sits in the owner's home.
func atHome(c *portfolio.Custodian, home string) bool {
	return c != nil && (c.Kind == portfolio.CustodyHomeSafe || c.Kind == portfolio.CustodyHardwareWallet) && c.Jurisdiction == home
}

// group accumulates the value that depends on one thing.
type group struct {
	key, label string
	kind       portfolio.CustodyKind
	value      decimal.Decimal
	holdings   []string
}

type groups struct {
	index map[string]int
	list  []*group
}

func (g *groups) add(key, label string, kind portfolio.CustodyKind, value decimal.Decimal, holding string) {
	if g.index == nil {
		g.index = map[string]int{}
	}
	i, ok := g.index[key]
	if !ok {
		i = len(g.list)
		g.index[key] = i
		g.list = append(g.list, &group{key: key, label: label, kind: kind})
	}
	gr := g.list[i]
	gr.value = gr.value.Add(value)
	if n := len(gr.holdings); n == 0 || gr.holdings[n-1] != holding {
		gr.holdings = append(gr.holdings, holding)
	}
}

// Failures lists v's single points of failure, largest share first, and
// the index of the largest one that is not a jurisdiction (-1 if none).
func Failures(v *portfolio.Valuation) ([]Failure, int) {
	p := v.Portfolio
	home := homeCountry(p)
	var parties, homes groups
	var homeCustodians []string
	var keys groups // self-custodied bitcoin by custodian
	keysValue := decimal.Zero
	multisig := false
	cust := custodianMap(p)
	byCountry := map[string][]string{}
	for _, l := range v.Lines {
		h := &p.Holdings[l.Index]
		if l.Unpriced || l.Value.Sign() <= 0 {
			continue
		}
		c := cust[h.Custodian]
		if c != nil {
			byCountry[c.Jurisdiction] = append(byCountry[c.Jurisdiction], h.ID)
		}
		if c != nil && !c.Kind.SelfCustody() {
			parties.add(c.ID, c.Name, c.Kind, l.Value, h.ID)
		}
		if h.Kind == portfolio.KindETF && h.Issuer != "" && h.Issuer != h.Custodian {
			if is := cust[h.Issuer]; is != nil {
				parties.add(is.ID, is.Name, is.Kind, l.Value, h.ID)
			}
		}
		if atHome(c, home) {
			if _, seen := homes.index[c.ID]; !seen {
				homeCustodians = append(homeCustodians, c.Name)
			}
			homes.add(c.ID, c.Name, c.Kind, l.Value, h.ID)
		}
		if h.Kind == portfolio.KindBTC && c != nil && c.Kind.SelfCustody() {
			keys.add(c.ID, c.Name, c.Kind, l.Value, h.ID)
			keysValue = keysValue.Add(l.Value)
			multisig = multisig || c.Kind == portfolio.CustodyMultisig
		}
	}

	var out []Failure
	for _, g := range parties.list {
		s := share(g.value, v.Total)
		out = append(out, Failure{Kind: FailureParty, Key: g.key, Label: g.label, Value: g.value, Share: s, Holdings: g.holdings,
			Text: fmt.Sprintf("%s of net worth depends on one %s (%s)", Percent(s), partyNoun(g.kind), g.label)})
	}
	if len(homes.list) > 0 {
		f := Failure{Kind: FailureHome, Key: "home", Label: "your home"}
		hasWallet := false
		for _, g := range homes.list {
			f.Value = f.Value.Add(g.value)
			f.Holdings = append(f.Holdings, g.holdings...)
			hasWallet = hasWallet || g.kind == portfolio.CustodyHardwareWallet
		}
		f.Share = share(f.Value, v.Total)
		f.Text = fmt.Sprintf("%s of net worth is in one building, your home: %s", Percent(f.Share), strings.Join(homeCustodians, ", "))
		if hasWallet {
			f.Text += " (hardware wallets in " + home + " taken to be kept at home)"
		}
		out = append(out, f)
	}
	if len(keys.list) > 0 && !multisig {
		f := Failure{Kind: FailureKeys, Value: keysValue, Share: share(keysValue, v.Total)}
		for _, g := range keys.list {
			f.Holdings = append(f.Holdings, g.holdings...)
		}
		allHome := true
		for _, g := range keys.list {
			allHome = allHome && atHome(cust[g.key], home)
		}
		switch {
		case len(keys.list) == 1:
			g := keys.list[0]
			f.Key, f.Label = g.key, g.label
			f.Text = fmt.Sprintf("all self-custodied bitcoin (%s of net worth) is behind one %s, %s: the device and its seed backup are a single point of failure",
				Percent(f.Share), strings.ToLower(g.kind.Label()), g.label)
		case allHome:
			f.Key, f.Label = "home", "your home"
			f.Text = fmt.Sprintf("all bitcoin keys (%s of net worth) are in one building, your home", Percent(f.Share))
		default:
			f = Failure{}
		}
		if f.Kind != "" {
			out = append(out, f)
		}
	}
	for _, s := range v.Allocation(portfolio.ByJurisdiction) {
		if s.Key == "" || s.Value.Sign() <= 0 {
			continue
		}
		out = append(out, Failure{Kind: FailureJurisdiction, Key: s.Key, Label: s.Label, Value: s.Value, Share: s.Weight, Holdings: byCountry[s.Key],
			Text: fmt.Sprintf("%s of net worth is held under one country's law (%s)", Percent(s.Weight), s.Key)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Share.GreaterThan(out[j].Share) })
	largest := -1
	for i, f := range out {
		if f.Kind != FailureJurisdiction {
			largest = i
			break
		}
	}
	return out, largest
}

// custodianMap indexes p's custodians by ID.
func custodianMap(p *portfolio.Portfolio) map[string]*portfolio.Custodian {
	m := make(map[string]*portfolio.Custodian, len(p.Custodians))
	for i := range p.Custodians {
		m[p.Custodians[i].ID] = &p.Custodians[i]
	}
	return m
}

// Percent writes a share as a percentage for sentences: whole percent
// from 10%, one decimal from 1%, two below.
func Percent(s decimal.Decimal) string {
	f := s.InexactFloat64() * 100
	switch {
	case f == 0:
		return "0%"
	case f >= 9.95:
		return fmt.Sprintf("%.0f%%", f)
	case f >= 0.995:
		return fmt.Sprintf("%.1f%%", f)
	}
	return fmt.Sprintf("%.2f%%", f)
}
