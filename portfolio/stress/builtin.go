package stress

import (
	"fmt"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// noBTC is how the replays before 2012 treat bitcoin.
const noBTC = "no bundled prices over this window (it did not exist before 2009, and the bundled series starts in 2012): " +
	"it keeps its day-0 value in the valuation unit. No price is invented."

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// builtins is the library. Historical scenarios replay the bundled
// monthly levels from From to To; the windows of the first ones are
// those of the bundled crisis windows (crisis/crisis_windows.csv).
// Hypothetical ones state their parameters and what they rest on.
var builtins = []Scenario{
	{
		ID: "nixon-1970s", Name: "Nixon shock and the 1970s (1971-1980)",
		Description: "The dollar's link to gold is cut (15 Aug 1971) and a decade of inflation follows, to gold's peak month in January 1980.",
		Source:      "Replay of the bundled monthly history from 1971-08 to 1980-01 (the bundled crisis window gold_1971_1980): World Bank gold, Shiller S&P 500 total return, FRED exchange rates, US T-bills.",
		From:        "1971-08", To: "1980-01", Missing: noBTC,
	},
	{
		ID: "volcker-1980", Name: "Volcker disinflation (1980-82)",
		Description: "The Federal Reserve under Paul Volcker raises rates to break inflation: gold halves, the dollar soars, T-bills pay double digits.",
		Source:      "Replay of the bundled monthly history from 1980-01 to 1982-06 (the bundled crisis window gold_bust_1980_1982).",
		From:        "1980-01", To: "1982-06", Missing: noBTC,
	},
	{
		ID: "gfc-2008", Name: "Global financial crisis (2007-09)",
		Description: "From the S&P 500's peak month to its trough month: banks fail, equities lose almost half, gold and the yen rise.",
		Source:      "Replay of the bundled monthly history from 2007-10 to 2009-02 (the bundled crisis window gfc_2007_2009).",
		From:        "2007-10", To: "2009-02", Missing: noBTC,
	},
	{
		ID: "cyprus-2013", Name: "Cyprus bail-in (2013)",
		Description: "Banks in your home country close for 12 days; 47.5% of each bank's deposits above its insurance cap is taken to recapitalise it. Prices do not move.",
		Source: "Parameters of the Cyprus rescue: banks closed 16-28 March 2013 (12 days); Bank of Cyprus converted 47.5% of deposits above EUR 100,000 into shares (Central Bank of Cyprus decree, July 2013), counted here as lost. " +
			"Withdrawal limits after the reopening (lifted in April 2015) are not modelled.",
		Events: []portfolio.CustodyEvent{{
			Kind: portfolio.EventBailIn, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyBank},
			Jurisdictions: []string{portfolio.JurisdictionHome}, Share: d("0.475"), Days: 12,
		}},
	},
	{
		ID: "gold-crash-2013", Name: "Gold crash (2013)",
		Description: "Gold's worst calendar year since 1981, with the April 2013 collapse; bitcoin rose more than fiftyfold the same year.",
		Source:      "Replay of the bundled monthly history from 2012-12 to 2013-12.",
		From:        "2012-12", To: "2013-12",
	},
	{
		ID: "covid-2020", Name: "COVID crash (March 2020)",
		Description: "February to March 2020: equities and bitcoin fall, gold barely moves. Monthly values understate the worst days (bitcoin fell 38.5% on 12 March alone).",
		Source:      "Replay of the bundled monthly history from 2020-02 to 2020-03 (the bundled crisis window covid_2020).",
		From:        "2020-02", To: "2020-03",
	},
	{
		ID: "rates-crypto-2022", Name: "2022 rate shock and crypto winter",
		Description: "From bitcoin's peak month to the FTX collapse: the fastest US rate rises in forty years, equities and bonds down together, bitcoin down 70%.",
		Source:      "Replay of the bundled monthly history from 2021-11 to 2022-11.",
		From:        "2021-11", To: "2022-11",
	},
	{
		ID: "exchange-failure", Name: "Exchange failure (FTX-style)",
		Description: "Every exchange you use stops withdrawals and goes bankrupt. Bitcoin on exchanges is lost; about a quarter of the coins' worth comes back 830 days later. Other assets on exchanges are repaid at their day-0 value after the same time. Prices do not move.",
		Source: "FTX: bankruptcy petition 11 Nov 2022; claims valued at petition-date prices (BTC USD 16,871); first distributions 18 Feb 2025 (830 days), " +
			"100% of the claim plus 9% a year interest, about 120.5%. Against the bundled February 2025 month-end price (USD 84,288) that buys back 24% of the coins.",
		Events: []portfolio.CustodyEvent{
			{Kind: portfolio.EventLoss, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyExchange}, Assets: []portfolio.Kind{portfolio.KindBTC},
				Share: d("1"), Recovery: d("0.24"), RecoveryDays: 830},
			{Kind: portfolio.EventLoss, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyExchange},
				Assets: []portfolio.Kind{portfolio.KindGold, portfolio.KindETF, portfolio.KindCash, portfolio.KindOther},
				Share:  d("1"), Recovery: d("1"), RecoveryDays: 830},
		},
	},
	{
		ID: "sanctions", Name: "Sanctions on your country",
		Description: "Your country is cut off from SWIFT. Brokers, ETF trusts and exchanges abroad freeze residents' accounts for good, ETF shares are blocked wherever they are held, " +
			"bank accounts abroad are frozen for 180 days, your currency falls by half and bitcoin trades at a premium at home.",
		Source: "Hypothetical, after Russia 2022: foreign securities held through Euroclear and Clearstream blocked for residents; EU limits on deposits and crypto accounts of residents (Regulation 833/2014 as amended in 2022). " +
			"The currency's fall matches the rouble's from 2014-06 to 2015-01 (-52%, bundled ECB series). Local bitcoin premiums of 5-20% were reported on peer-to-peer markets under capital controls; 15% is assumed.",
		Moves: []portfolio.Move{{Asset: portfolio.JurisdictionHome, Change: d("-0.5")}, {Asset: "BTC", Change: d("0.15")}},
		Events: []portfolio.CustodyEvent{
			{Kind: portfolio.EventFreeze, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyBroker, portfolio.CustodyETFTrust, portfolio.CustodyExchange},
				Jurisdictions: []string{portfolio.JurisdictionForeign}, Indefinite: true},
			{Kind: portfolio.EventFreeze, Assets: []portfolio.Kind{portfolio.KindETF}, Indefinite: true},
			{Kind: portfolio.EventFreeze, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyBank}, Jurisdictions: []string{portfolio.JurisdictionForeign}, Days: 180},
		},
	},
	{
		ID: "lira-2021", Name: "Turkish lira crisis (2021-23)",
		Description: "The lira loses three quarters of its value against the dollar while rates are cut. Your own currency follows the lira's path, so this is what such a fall does to your savings.",
		Source:      "Replay of the bundled monthly history from 2021-01 to 2023-12 (ECB month-end TRY rates); your home currency follows TRY.",
		From:        "2021-01", To: "2023-12", HomeAs: "TRY",
	},
	{
		ID: "gold-confiscation", Name: "Gold confiscation (1933-style)",
		Description: "Physical gold held in your home country must be sold to the state at today's price within 26 days; then your currency is devalued against gold by 40.9%, as the dollar was.",
		Source: "US Executive Order 6102 (5 April 1933): gold coin, bullion and certificates delivered by 1 May 1933 at USD 20.67 an ounce. " +
			"Gold Reserve Act (30 January 1934): USD 35 an ounce, a 69.3% rise in the price of gold (the dollar -40.9% against gold). The order's exemptions (up to USD 100 of coins, rare coins) are not modelled.",
		Moves: []portfolio.Move{{Asset: portfolio.JurisdictionHome, Change: d("-0.40943")}},
		Events: []portfolio.CustodyEvent{{
			Kind: portfolio.EventConfiscation, Assets: []portfolio.Kind{portfolio.KindGold}, Jurisdictions: []string{portfolio.JurisdictionHome}, Days: 26,
		}},
	},
	{
		ID: "dollar-reserve", Name: "The dollar loses its reserve status",
		Description: "Hypothetical: the US dollar falls 35% against other currencies, gold doubles against them, US equities fall 20% and bitcoin rises 50%.",
		Source: "Magnitudes from the bundled 1971-01 to 1973-07 history, when the Bretton Woods system broke up: the dollar fell 35% against the Deutsche Mark and the Swiss franc, " +
			"gold rose 217% in dollars (about 100% in marks) and the S&P 500 total return fell about 20% in marks. Bitcoin's move is an assumption: half of gold's.",
		Moves: []portfolio.Move{
			{Asset: "USD", Change: d("-0.35")}, {Asset: "TBILL", Change: d("-0.35")}, {Asset: "XAU", Change: d("1")},
			{Asset: "EQUITIES", Change: d("-0.2")}, {Asset: "BTC", Change: d("0.5")},
		},
	},
	{
		ID: "btc-security", Name: "Bitcoin security-budget spiral",
		Description: "Hypothetical: after further halvings fees do not replace the subsidy, hash rate falls, a deep reorganisation shakes confidence. Bitcoin falls 80%; exchanges halt bitcoin withdrawals for 30 days. Keys you hold stay reachable.",
		Source: "Hypothetical. The fall matches bitcoin's worst bundled drawdowns: -80.5% (2013-11 to 2015-01) and -73.3% (2017-12 to 2018-12); " +
			"exchanges have halted deposits and withdrawals for days around network incidents, 30 days is assumed.",
		Moves: []portfolio.Move{{Asset: "BTC", Change: d("-0.8")}},
		Events: []portfolio.CustodyEvent{{
			Kind: portfolio.EventFreeze, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyExchange}, Assets: []portfolio.Kind{portfolio.KindBTC}, Days: 30,
		}},
	},
	{
		ID: "hyperinflation", Name: "Hyperinflation of your home currency",
		Description: "Hypothetical: your currency loses 99% of its value and banks at home freeze cash deposits for a year.",
		Source: "Hypothetical. The bolívar's official rate lost more than 99.99% against the dollar in 2018 alone (bundled FRED series); " +
			"Argentina's corralito limited withdrawals from December 2001 for about a year.",
		Moves: []portfolio.Move{{Asset: portfolio.JurisdictionHome, Change: d("-0.99")}},
		Events: []portfolio.CustodyEvent{{
			Kind: portfolio.EventFreeze, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyBank}, Jurisdictions: []string{portfolio.JurisdictionHome},
			Assets: []portfolio.Kind{portfolio.KindCash}, Days: 365,
		}},
	},
}

// Builtins returns the built-in scenarios, a fresh copy.
func Builtins() []Scenario {
	out := make([]Scenario, len(builtins))
	for i := range builtins {
		out[i] = cloneScenario(&builtins[i])
	}
	return out
}

// Library returns the built-in scenarios followed by p's own.
func Library(p *portfolio.Portfolio) []Scenario {
	out := Builtins()
	if p != nil {
		for i := range p.Scenarios {
			out = append(out, cloneScenario(&p.Scenarios[i]))
		}
	}
	return out
}

// IsBuiltin reports whether id names a built-in scenario.
func IsBuiltin(id string) bool {
	for i := range builtins {
		if builtins[i].ID == id {
			return true
		}
	}
	return false
}

// UnknownScenarioError is a scenario ID the library does not hold.
type UnknownScenarioError struct {
	ID    string
	Known []string
}

func (e *UnknownScenarioError) Error() string {
	return fmt.Sprintf("no scenario %q: want one of %v", e.ID, e.Known)
}

// Find returns the scenario of the library (built-in or p's) with id.
func Find(p *portfolio.Portfolio, id string) (*Scenario, error) {
	lib := Library(p)
	var ids []string
	for i := range lib {
		if lib[i].ID == id {
			return &lib[i], nil
		}
		ids = append(ids, lib[i].ID)
	}
	return nil, &UnknownScenarioError{ID: id, Known: ids}
}

func cloneScenario(s *Scenario) Scenario {
	p := portfolio.Portfolio{Scenarios: []Scenario{*s}}
	return p.Clone().Scenarios[0]
}
