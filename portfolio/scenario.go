package portfolio

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// Scenario is a stress test: market moves, custody events, or both,
// applied to the holdings at once. Package portfolio/stress runs it and
// holds the built-in library; the portfolio file may add its own
// ([[scenario]], docs/file-format.md).
//
// A scenario with From and To replays the bundled market history over
// that window (each holding moves as the asset it follows did, from the
// level of month From to that of month To); one without them is
// hypothetical and moves only what Moves name. Moves apply on top of a
// replay too.
type Scenario struct {
	ID          string
	Name        string
	Description string
	// Source says where the figures come from, in a sentence.
	Source string
	// From and To are the replay window, YYYY-MM; both empty for a
	// hypothetical scenario.
	From, To string
	// HomeAs makes the home currency (the currency of
	// Settings.HomeCountry) follow another currency's history in a
	// replay: "TRY" replays the lira's fall on your own money.
	HomeAs string
	Moves  []Move
	Events []CustodyEvent
	// Missing states, among the parameters ("Bitcoin: ..."), how a replay
	// treats bitcoin when the window lies before its bundled history
	// (2012 on); empty means a default note when bitcoin is held. Either
	// way bitcoin keeps its day-0 value in the valuation unit: no price
	// is invented.
	Missing string
}

// Move is a market move: the value of what Asset or Class names changes
// by Change (a share: -0.6 is a 60% fall) against everything the
// scenario does not move. Exactly one of Asset and Class is set.
type Move struct {
	// Asset is a history asset (BTC, XAU, EQUITIES, TBILL, USD, EUR...),
	// any ISO 4217 currency (cash in it), or "home" for the home
	// currency.
	Asset string
	// Class is an asset class: bitcoin, gold, cash or other.
	Class  string
	Change decimal.Decimal
}

// EventKind is what a custody event does to the holdings it hits.
type EventKind string

// Custody events.
const (
	// EventFreeze makes the holdings unreachable for Days days (or for
	// good, Indefinite); they are still owned.
	EventFreeze EventKind = "freeze"
	// EventLoss loses Share of the holdings at day 0; Recovery of what
	// was lost comes back after RecoveryDays days.
	EventLoss EventKind = "loss"
	// EventBailIn cuts Share of each bank's cash deposits above its
	// insurance cap (the Cyprus bail-in); all the bank's deposits in
	// scope are frozen for Days days.
	EventBailIn EventKind = "bail_in"
	// EventConfiscation buys the holdings back at Price per fine ounce
	// (per BTC for bitcoin, per unit otherwise) in PriceCurrency, or at
	// their day-0 value when Price is zero; the money is paid in
	// PriceCurrency (the home currency when empty) after Days days.
	EventConfiscation EventKind = "confiscation"
)

// EventKinds lists the custody events.
var EventKinds = []EventKind{EventFreeze, EventLoss, EventBailIn, EventConfiscation}

// Jurisdiction words a custody event's scope may use besides country
// codes.
const (
	JurisdictionHome    = "home"    // Settings.HomeCountry
	JurisdictionForeign = "foreign" // any country but the home country
)

// CustodyEvent is a custody event and the holdings it hits: those whose
// custodian is of one of CustodyKinds, is one of Custodians, and is in one
// of Jurisdictions, and whose kind is one of Assets. An empty list does
// not narrow; at least one must be set.
type CustodyEvent struct {
	Kind          EventKind
	CustodyKinds  []CustodyKind
	Custodians    []string
	Jurisdictions []string // country codes, "home" or "foreign"
	Assets        []Kind
	Days          int
	Indefinite    bool
	Share         decimal.Decimal
	Recovery      decimal.Decimal
	RecoveryDays  int
	Price         decimal.Decimal
	PriceCurrency string
	Note          string
}

// MoveClasses lists the asset classes a move may name.
var MoveClasses = []string{"bitcoin", "gold", "cash", "other"}

// BuiltinScenarioIDs are the IDs of portfolio/stress's built-in
// scenarios, which a scenario in the file may not reuse (package stress
// checks that the two lists agree).
var BuiltinScenarioIDs = []string{
	"nixon-1970s", "volcker-1980", "gfc-2008", "cyprus-2013", "gold-crash-2013", "covid-2020",
	"rates-crypto-2022", "exchange-failure", "sanctions", "lira-2021", "gold-confiscation",
	"dollar-reserve", "btc-security", "hyperinflation",
}

// HomeCurrency is the currency of the home country the settings name,
// or "" when none is set or the country has none.
func (p *Portfolio) HomeCurrency() string {
	if p.Settings.HomeCountry == "" {
		return ""
	}
	r, err := language.ParseRegion(p.Settings.HomeCountry)
	if err != nil {
		return ""
	}
	u, ok := currency.FromRegion(r)
	if !ok {
		return ""
	}
	return u.String()
}

// Replay reports whether s replays the bundled history.
func (s *Scenario) Replay() bool { return s.From != "" || s.To != "" }

func (s *Scenario) clone() Scenario {
	c := *s
	c.Moves = append([]Move(nil), s.Moves...)
	c.Events = make([]CustodyEvent, len(s.Events))
	for i, e := range s.Events {
		e.CustodyKinds = append([]CustodyKind(nil), e.CustodyKinds...)
		e.Custodians = append([]string(nil), e.Custodians...)
		e.Jurisdictions = append([]string(nil), e.Jurisdictions...)
		e.Assets = append([]Kind(nil), e.Assets...)
		c.Events[i] = e
	}
	return c
}

// parseScenarioMonth reads a YYYY-MM month into 12*year+month-1.
func parseScenarioMonth(s string) (int, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, fmt.Errorf("%q: want a month as YYYY-MM", s)
	}
	y, ok1 := atoi(s[:4])
	m, ok2 := atoi(s[5:])
	if !ok1 || !ok2 || m < 1 || m > 12 {
		return 0, fmt.Errorf("%q: want a month as YYYY-MM", s)
	}
	return 12*y + m - 1, nil
}

func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = 10*n + int(s[i]-'0')
	}
	return n, s != ""
}

// CheckScenario validates s on its own and against p's custodians: every
// problem, as Errors whose Index is 0 (the caller sets it) and whose
// moves and events are sections "scenario.move" and "scenario.event".
func (s *Scenario) Check(p *Portfolio) Errors {
	c := &checker{}
	add := func(key, f string, a ...any) { c.add("scenario", 0, -1, s.ID, key, f, a...) }
	if err := CheckID(s.ID); err != nil {
		add("id", "%v", err)
	}
	for _, id := range BuiltinScenarioIDs {
		if s.ID == id {
			add("id", "%q is a built-in scenario's ID: choose another", id)
		}
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "is required")
	}
	var from, to int
	var errFrom, errTo error
	if s.Replay() {
		from, errFrom = parseScenarioMonth(s.From)
		if errFrom != nil {
			add("from", "%v", errFrom)
		}
		to, errTo = parseScenarioMonth(s.To)
		if errTo != nil {
			add("to", "%v", errTo)
		}
		if errFrom == nil && errTo == nil && to <= from {
			add("to", "%s is not after from (%s)", s.To, s.From)
		}
	}
	if s.HomeAs != "" {
		switch {
		case !s.Replay():
			add("home_as", "applies to a replay only: set from and to")
		case !validProxy(s.HomeAs) || s.HomeAs == "BTC" || s.HomeAs == "XAU" || s.HomeAs == "EQUITIES" || s.HomeAs == "TBILL":
			add("home_as", "%q: want a currency with bundled history (%s)", s.HomeAs, "USD, EUR, CHF, GBP, JPY, TRY, RUB, UAH, VES")
		}
	}
	if !s.Replay() && len(s.Moves) == 0 && len(s.Events) == 0 {
		add("", "does nothing: give from and to (a replay), a move or an event")
	}
	seen := map[string]int{}
	for j, mv := range s.Moves {
		madd := func(key, f string, a ...any) { c.add("scenario.move", j, 0, s.ID, key, f, a...) }
		what := "asset " + mv.Asset
		if mv.Class != "" {
			what = "class " + mv.Class
		}
		if k, dup := seen[what]; dup {
			madd("", "%s is moved twice (move #%d too): give one move", what, k+1)
		}
		seen[what] = j
		switch {
		case mv.Asset == "" && mv.Class == "":
			madd("asset", "say what moves: asset (BTC, XAU, EQUITIES, a currency or home) or class (%s)", strings.Join(MoveClasses, ", "))
		case mv.Asset != "" && mv.Class != "":
			madd("class", "give asset or class, not both")
		case mv.Class != "":
			if !validClass(mv.Class) {
				madd("class", "unknown class %q: want one of %s", mv.Class, strings.Join(MoveClasses, ", "))
			}
		default:
			if mv.Asset != JurisdictionHome && !validProxy(mv.Asset) && CheckCurrency(mv.Asset) != nil {
				madd("asset", "unknown asset %q: want one of %s, another ISO 4217 currency, or home", mv.Asset, strings.Join(ProxyAssets, ", "))
			}
		}
		if mv.Change.LessThan(decimal.NewFromInt(-1)) {
			madd("change", "%s loses more than everything: a change is a share from -1 (-100%%) up", mv.Change)
		}
	}
	for j := range s.Events {
		s.Events[j].check(c, s.ID, j, p)
	}
	return c.errs
}

func validClass(s string) bool {
	for _, c := range MoveClasses {
		if c == s {
			return true
		}
	}
	return false
}

func (e *CustodyEvent) check(c *checker, id string, j int, p *Portfolio) {
	add := func(key, f string, a ...any) { c.add("scenario.event", j, 0, id, key, f, a...) }
	one := decimal.NewFromInt(1)
	share := func(key string, d decimal.Decimal, zeroOK bool) {
		if d.IsNegative() || d.GreaterThan(one) || (!zeroOK && d.IsZero()) {
			low := "above 0"
			if zeroOK {
				low = "from 0"
			}
			add(key, "must be a share %s to 1 (0.475 for 47.5%%), got %s", low, d)
		}
	}
	switch e.Kind {
	case EventFreeze:
		if e.Days <= 0 && !e.Indefinite {
			add("days", "a freeze lasts 1 day or more, or set indefinite = true")
		}
		if e.Days > 0 && e.Indefinite {
			add("indefinite", "give days or indefinite, not both")
		}
	case EventLoss:
		share("share", e.Share, false)
		share("recovery", e.Recovery, true)
		if e.Recovery.IsPositive() && e.RecoveryDays <= 0 {
			add("recovery_days", "say after how many days the recovery comes (1 or more)")
		}
	case EventBailIn:
		share("share", e.Share, false)
	case EventConfiscation:
		if e.Price.IsNegative() {
			add("price", "must not be negative, got %s", e.Price)
		}
		if e.Price.IsPositive() || e.PriceCurrency != "" {
			if err := CheckCurrency(e.PriceCurrency); err != nil {
				add("price_currency", "%v", err)
			}
		}
	default:
		names := make([]string, len(EventKinds))
		for i, k := range EventKinds {
			names[i] = string(k)
		}
		add("kind", "unknown event %q: want one of %s", e.Kind, strings.Join(names, ", "))
	}
	if e.Days < 0 {
		add("days", "must not be negative, got %d", e.Days)
	}
	if e.RecoveryDays < 0 {
		add("recovery_days", "must not be negative, got %d", e.RecoveryDays)
	}
	if e.Kind != EventFreeze && e.Indefinite {
		add("indefinite", "applies to a freeze only")
	}
	if len(e.CustodyKinds)+len(e.Custodians)+len(e.Jurisdictions)+len(e.Assets) == 0 {
		add("custody_kinds", "say which holdings it hits: custody_kinds, custodians, jurisdictions or assets")
	}
	for _, k := range e.CustodyKinds {
		if !validCustodyKind(k) {
			add("custody_kinds", "unknown custody kind %q: want one of %s", k, custodyKindList())
		}
	}
	for _, id := range e.Custodians {
		if p != nil && p.Custodian(id) == nil {
			add("custodians", "no custodian with ID %q", id)
		}
	}
	for _, j := range e.Jurisdictions {
		if j == JurisdictionHome || j == JurisdictionForeign {
			if p != nil && p.Settings.HomeCountry == "" {
				add("jurisdictions", "%q needs settings.home_country", j)
			}
			continue
		}
		if err := CheckCountry(j); err != nil {
			add("jurisdictions", "%v, home or foreign", err)
		}
	}
	for _, k := range e.Assets {
		known := false
		for _, x := range Kinds {
			known = known || x == k
		}
		if !known {
			add("assets", "unknown asset kind %q: want btc, gold, etf, cash or other", k)
		}
	}
}

// fileScenario is a [[scenario]] as written in the file.
type fileScenario struct {
	ID          string      `toml:"id"`
	Name        string      `toml:"name"`
	Description string      `toml:"description,omitempty"`
	Source      string      `toml:"source,omitempty"`
	From        string      `toml:"from,omitempty"`
	To          string      `toml:"to,omitempty"`
	HomeAs      string      `toml:"home_as,omitempty"`
	Missing     string      `toml:"missing,omitempty"`
	Moves       []fileMove  `toml:"move,omitempty"`
	Events      []fileEvent `toml:"event,omitempty"`
}

type fileMove struct {
	Asset  string `toml:"asset,omitempty"`
	Class  string `toml:"class,omitempty"`
	Change *dec   `toml:"change"`
}

type fileEvent struct {
	Kind          string   `toml:"kind"`
	CustodyKinds  []string `toml:"custody_kinds,omitempty"`
	Custodians    []string `toml:"custodians,omitempty"`
	Jurisdictions []string `toml:"jurisdictions,omitempty"`
	Assets        []string `toml:"assets,omitempty"`
	Days          int      `toml:"days,omitempty"`
	Indefinite    bool     `toml:"indefinite,omitempty"`
	Share         *dec     `toml:"share,omitempty"`
	Recovery      *dec     `toml:"recovery,omitempty"`
	RecoveryDays  int      `toml:"recovery_days,omitempty"`
	Price         *dec     `toml:"price,omitempty"`
	PriceCurrency string   `toml:"price_currency,omitempty"`
	Note          string   `toml:"note,omitempty"`
}

func scenariosFromFile(fs []fileScenario) []Scenario {
	var out []Scenario
	for _, f := range fs {
		s := Scenario{ID: f.ID, Name: f.Name, Description: f.Description, Source: f.Source,
			From: f.From, To: f.To, HomeAs: f.HomeAs, Missing: f.Missing}
		for _, m := range f.Moves {
			s.Moves = append(s.Moves, Move{Asset: m.Asset, Class: m.Class, Change: decOf(m.Change)})
		}
		for _, e := range f.Events {
			ev := CustodyEvent{Kind: EventKind(e.Kind), Custodians: e.Custodians, Jurisdictions: e.Jurisdictions,
				Days: e.Days, Indefinite: e.Indefinite, Share: decOf(e.Share), Recovery: decOf(e.Recovery),
				RecoveryDays: e.RecoveryDays, Price: decOf(e.Price), PriceCurrency: e.PriceCurrency, Note: e.Note}
			for _, k := range e.CustodyKinds {
				ev.CustodyKinds = append(ev.CustodyKinds, CustodyKind(k))
			}
			for _, k := range e.Assets {
				ev.Assets = append(ev.Assets, Kind(k))
			}
			s.Events = append(s.Events, ev)
		}
		out = append(out, s)
	}
	return out
}

func scenariosToFile(ss []Scenario) []fileScenario {
	var out []fileScenario
	for _, s := range ss {
		f := fileScenario{ID: s.ID, Name: s.Name, Description: s.Description, Source: s.Source,
			From: s.From, To: s.To, HomeAs: s.HomeAs, Missing: s.Missing}
		for _, m := range s.Moves {
			f.Moves = append(f.Moves, fileMove{Asset: m.Asset, Class: m.Class, Change: &dec{m.Change}})
		}
		for _, e := range s.Events {
			fe := fileEvent{Kind: string(e.Kind), Custodians: e.Custodians, Jurisdictions: e.Jurisdictions,
				Days: e.Days, Indefinite: e.Indefinite, RecoveryDays: e.RecoveryDays, PriceCurrency: e.PriceCurrency, Note: e.Note,
				Share: decPtr(e.Share, !e.Share.IsZero()), Recovery: decPtr(e.Recovery, !e.Recovery.IsZero()), Price: decPtr(e.Price, !e.Price.IsZero())}
			for _, k := range e.CustodyKinds {
				fe.CustodyKinds = append(fe.CustodyKinds, string(k))
			}
			for _, k := range e.Assets {
				fe.Assets = append(fe.Assets, string(k))
			}
			f.Events = append(f.Events, fe)
		}
		out = append(out, f)
	}
	return out
}
