package portfolio

import (
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// AnalysisSettings are the portfolio file's [analysis] section: which
// market history stands in for "other" holdings, and the limits past
// which the analysis warns.
type AnalysisSettings struct {
	// OtherProxy is the history asset for "other" holdings that Proxies
	// does not name; empty means EQUITIES.
	OtherProxy string
	// Proxies maps an "other" holding's symbol, or its asset class in
	// lower case, to the history asset standing in for it.
	Proxies map[string]string
	// Limits holds the limits the file sets, as shares of 0 to 1; the
	// analysis has a default for each one left out.
	Limits map[Limit]decimal.Decimal
}

// Limit names one concentration rule the analysis checks.
type Limit string

// The limits, as shares from 0 to 1.
const (
	LimitAssetClass   Limit = "asset_class"  // one asset class, of net worth
	LimitCustodian    Limit = "custodian"    // what depends on one third party (custodian or ETF issuer), of net worth
	LimitCounterparty Limit = "counterparty" // everything held by third parties, of net worth
	LimitJurisdiction Limit = "jurisdiction" // one jurisdiction, of net worth
	LimitHome         Limit = "home"         // what sits in your home (home safes, hardware wallets), of net worth
	LimitExchange     Limit = "exchange"     // everything on exchanges, of net worth
	LimitExchangeBTC  Limit = "exchange_btc" // bitcoin on exchanges, of your bitcoin
	LimitUninsured    Limit = "uninsured"    // bank deposits above the insurance cap, of net worth
	LimitETFGold      Limit = "etf_gold"     // gold held as ETF shares, of your gold
)

// Limits lists every limit in the order the analysis checks them.
var Limits = []Limit{
	LimitAssetClass, LimitCustodian, LimitCounterparty, LimitJurisdiction, LimitHome,
	LimitExchange, LimitExchangeBTC, LimitUninsured, LimitETFGold,
}

// ProxyAssets lists the history assets a proxy may name (the assets of
// package history, which checks that the two lists agree).
var ProxyAssets = []string{"BTC", "XAU", "EQUITIES", "TBILL", "USD", "EUR", "CHF", "GBP", "JPY", "TRY", "RUB", "UAH", "VES"}

func (a *AnalysisSettings) empty() bool {
	return a.OtherProxy == "" && len(a.Proxies) == 0 && len(a.Limits) == 0
}

func (a *AnalysisSettings) clone() AnalysisSettings {
	c := AnalysisSettings{OtherProxy: a.OtherProxy}
	if a.Proxies != nil {
		c.Proxies = make(map[string]string, len(a.Proxies))
		for k, v := range a.Proxies {
			c.Proxies[k] = v
		}
	}
	if a.Limits != nil {
		c.Limits = make(map[Limit]decimal.Decimal, len(a.Limits))
		for k, v := range a.Limits {
			c.Limits[k] = v
		}
	}
	return c
}

func validProxy(s string) bool {
	for _, a := range ProxyAssets {
		if a == s {
			return true
		}
	}
	return false
}

func (a *AnalysisSettings) validate(c *checker) {
	if a.OtherProxy != "" && !validProxy(a.OtherProxy) {
		c.add("analysis", -1, -1, "", "other_proxy", "unknown history asset %q: want one of %s", a.OtherProxy, strings.Join(ProxyAssets, ", "))
	}
	for _, k := range sortedKeys(a.Proxies) {
		if strings.TrimSpace(k) == "" {
			c.add("analysis.proxies", -1, -1, "", k, "empty symbol")
		}
		if v := a.Proxies[k]; !validProxy(v) {
			c.add("analysis.proxies", -1, -1, "", k, "unknown history asset %q: want one of %s", v, strings.Join(ProxyAssets, ", "))
		}
	}
	names := make([]string, len(Limits))
	for i, l := range Limits {
		names[i] = string(l)
	}
	keys := make([]string, 0, len(a.Limits))
	for k := range a.Limits {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, l := range Limits {
			known = known || string(l) == k
		}
		if !known {
			c.add("analysis.limits", -1, -1, "", k, "unknown limit: want one of %s", strings.Join(names, ", "))
			continue
		}
		if v := a.Limits[Limit(k)]; v.IsNegative() || v.GreaterThan(decimal.NewFromInt(1)) {
			c.add("analysis.limits", -1, -1, "", k, "must be a share from 0 to 1 (0.25 for 25%%), got %s", v)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fileAnalysis is the [analysis] section as written in the file.
type fileAnalysis struct {
	OtherProxy string            `toml:"other_proxy,omitempty"`
	Proxies    map[string]string `toml:"proxies,omitempty"`
	Limits     map[string]*dec   `toml:"limits,omitempty"`
}

func analysisFromFile(f *fileAnalysis) AnalysisSettings {
	if f == nil {
		return AnalysisSettings{}
	}
	a := AnalysisSettings{OtherProxy: f.OtherProxy, Proxies: f.Proxies}
	if len(f.Limits) > 0 {
		a.Limits = make(map[Limit]decimal.Decimal, len(f.Limits))
		for k, v := range f.Limits {
			a.Limits[Limit(k)] = decOf(v)
		}
	}
	return a
}

func analysisToFile(a *AnalysisSettings) *fileAnalysis {
	if a.empty() {
		return nil
	}
	f := &fileAnalysis{OtherProxy: a.OtherProxy, Proxies: a.Proxies}
	if len(a.Limits) > 0 {
		f.Limits = make(map[string]*dec, len(a.Limits))
		for k, v := range a.Limits {
			f.Limits[string(k)] = &dec{v}
		}
	}
	return f
}
