package portfolio

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// TestScenarioRoundTrip: a scenario of every kind of part survives
// encoding and decoding unchanged, and the clone does not share it.
func TestScenarioRoundTrip(t *testing.T) {
	p := Demo(testNow)
	p.Scenarios = []Scenario{
		{ID: "mine", Name: "Mine", Source: "guess", From: "2007-10", To: "2009-02", HomeAs: "TRY", Missing: "bitcoin flat",
			Moves: []Move{{Asset: "BTC", Change: decimal.RequireFromString("-0.5")}, {Class: "gold", Change: decimal.RequireFromString("0.25")}}},
		{ID: "custody", Name: "Custody", Events: []CustodyEvent{
			{Kind: EventFreeze, CustodyKinds: []CustodyKind{CustodyExchange}, Jurisdictions: []string{"foreign"}, Indefinite: true},
			{Kind: EventLoss, Custodians: []string{"kraken"}, Assets: []Kind{KindBTC}, Share: decimal.RequireFromString("1"),
				Recovery: decimal.RequireFromString("0.2"), RecoveryDays: 800, Note: "like Mt. Gox"},
			{Kind: EventBailIn, CustodyKinds: []CustodyKind{CustodyBank}, Share: decimal.RequireFromString("0.475"), Days: 12},
			{Kind: EventConfiscation, Assets: []Kind{KindGold}, Jurisdictions: []string{"home"}, Price: decimal.RequireFromString("20.67"), PriceCurrency: "USD", Days: 26},
		}},
	}
	data, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode("portfolio.toml", data)
	if err != nil {
		t.Fatalf("decoding what Encode wrote: %v", err)
	}
	// Printed, so that empty and missing lists and equal decimals of
	// different internal form compare alike.
	if fmt.Sprintf("%+v", p.Scenarios) != fmt.Sprintf("%+v", q.Scenarios) {
		t.Errorf("scenarios changed across a round trip:\n%+v\n%+v", p.Scenarios, q.Scenarios)
	}
	if again, _ := Encode(q); !bytes.Equal(data, again) {
		t.Error("encode -> decode -> encode is not stable")
	}
	c := p.Clone()
	c.Scenarios[1].Events[0].Jurisdictions[0] = "CH"
	if p.Scenarios[1].Events[0].Jurisdictions[0] != "foreign" {
		t.Error("the clone shares the scenario's lists")
	}
}

// TestScenarioErrors: each bad field is reported with what is wrong and
// where.
func TestScenarioErrors(t *testing.T) {
	dec := decimal.RequireFromString
	cases := []struct {
		s    Scenario
		want string
	}{
		{Scenario{ID: "a", Name: "A"}, `scenario "a": does nothing`},
		{Scenario{ID: "a", Name: "A", From: "2008-13", To: "2009-01"}, `scenario "a": from: "2008-13": want a month as YYYY-MM`},
		{Scenario{ID: "a", Name: "A", HomeAs: "TRY", Moves: []Move{{Asset: "BTC"}}}, `scenario "a": home_as: applies to a replay only`},
		{Scenario{ID: "a", Name: "A", From: "2008-01", To: "2009-01", HomeAs: "XAU"}, `home_as: "XAU": want a currency with bundled history`},
		{Scenario{ID: "a", Name: "A", Moves: []Move{{Asset: "BTC", Change: dec("-1.5")}}}, `scenario "a" move #1: change: -1.5 loses more than everything`},
		{Scenario{ID: "a", Name: "A", Moves: []Move{{Asset: "BTC", Class: "gold"}}}, `move #1: class: give asset or class, not both`},
		{Scenario{ID: "a", Name: "A", Moves: []Move{{Asset: "DOGE"}}}, `move #1: asset: unknown asset "DOGE"`},
		{Scenario{ID: "a", Name: "A", Moves: []Move{{Asset: "BTC"}, {Asset: "BTC", Change: dec("0.1")}}}, `scenario "a" move #2: asset BTC is moved twice (move #1 too)`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventFreeze, Assets: []Kind{KindBTC}}}}, `event #1: days: a freeze lasts 1 day or more`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventLoss, Assets: []Kind{KindBTC}, Share: dec("1.2")}}}, `event #1: share: must be a share above 0 to 1`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventLoss, Assets: []Kind{KindBTC}, Share: dec("1"), Recovery: dec("0.5")}}}, `event #1: recovery_days: say after how many days`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventBailIn, Share: dec("0.4")}}}, `event #1: custody_kinds: say which holdings it hits`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventFreeze, Days: 3, CustodyKinds: []CustodyKind{"cloud"}}}}, `custody_kinds: unknown custody kind "cloud"`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventFreeze, Days: 3, Jurisdictions: []string{"XX"}}}}, `jurisdictions: unknown country "XX"`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventFreeze, Days: 3, Assets: []Kind{"stock"}}}}, `assets: unknown asset kind "stock"`},
		{Scenario{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventConfiscation, Assets: []Kind{KindGold}, Price: dec("20")}}}, `event #1: price_currency: unknown currency ""`},
	}
	for _, c := range cases {
		p := Demo(testNow)
		p.Settings.HomeCountry = ""
		p.Scenarios = []Scenario{c.s}
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.s, err, c.want)
		}
	}
	p := Demo(testNow)
	p.Settings.HomeCountry = ""
	p.Scenarios = []Scenario{{ID: "a", Name: "A", Events: []CustodyEvent{{Kind: EventFreeze, Days: 3, Jurisdictions: []string{"home"}}}}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), `"home" needs settings.home_country`) {
		t.Errorf("home without a home country: %v", err)
	}
}

// TestValidatePlacesPartErrors: Validate numbers the errors of a holding's
// or a scenario's own Check by where the item sits: the item's own by
// Index, those of its lots, moves and events by Parent.
func TestValidatePlacesPartErrors(t *testing.T) {
	p := Demo(testNow)
	k := -1
	for i := 1; i < len(p.Holdings) && k < 0; i++ {
		if len(p.Holdings[i].Lots) > 0 {
			k = i
		}
	}
	if k < 0 {
		t.Fatal("no holding past the first has lots")
	}
	p.Holdings[k].Lots = append([]Lot(nil), p.Holdings[k].Lots...)
	p.Holdings[k].Lots[0].Cost = decimal.NewFromInt(-1)
	p.Scenarios = []Scenario{
		{ID: "fine", Name: "Fine", Moves: []Move{{Asset: "BTC", Change: decimal.RequireFromString("-0.5")}}},
		{ID: "bad", Moves: []Move{{Change: decimal.RequireFromString("-0.5")}}},
	}
	var errs Errors
	if !errors.As(p.Validate(), &errs) {
		t.Fatal("the broken portfolio validates")
	}
	var lot, own, move bool
	for _, e := range errs {
		switch {
		case e.Section == "lot" && e.Key == "cost":
			lot = e.Index == 0 && e.Parent == k && e.ID == p.Holdings[k].ID
		case e.Section == "scenario" && e.Key == "name":
			own = e.Index == 1 && e.Parent == -1 && e.ID == "bad"
		case e.Section == "scenario.move" && e.Key == "asset":
			move = e.Index == 0 && e.Parent == 1 && e.ID == "bad"
		default:
			t.Errorf("unexpected error %+v", e)
		}
	}
	if !lot || !own || !move {
		t.Errorf("placed: lot of holding #%d %v, scenario #2's name %v, its move %v", k+1, lot, own, move)
	}
}
