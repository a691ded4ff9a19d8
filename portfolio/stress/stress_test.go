package stress

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// csvValue reads the value of month from a bundled data file, straight
// from the file on disk, so the test does not rest on package history's
// parsing.
func csvValue(t *testing.T, file, month string) decimal.Decimal {
	t.Helper()
	f, err := os.Open("../history/data/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), ",")
		if cols[0] == month {
			return decimal.RequireFromString(cols[1])
		}
	}
	t.Fatalf("%s has no %s", file, month)
	return decimal.Zero
}

func mustFind(t *testing.T, p *portfolio.Portfolio, id string) *Scenario {
	t.Helper()
	s, err := Find(p, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, p *portfolio.Portfolio, unit portfolio.Unit, s *Scenario) *Result {
	t.Helper()
	r, err := Run(portfolio.Valuate(p, unit, now), s, history.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func price(asset, value, cur string) portfolio.Price {
	return portfolio.Price{Asset: asset, Value: decimal.RequireFromString(value), Currency: cur, Time: now.Add(-time.Hour), Source: "test"}
}

// TestGoldOnlyReplaysGold: a portfolio of nothing but gold changes under
// the 2008 replay exactly as the gold price did from the window's first
// month to its last, read from the bundled World Bank file.
func TestGoldOnlyReplaysGold(t *testing.T) {
	p := &portfolio.Portfolio{
		Schema:     1,
		Settings:   portfolio.Settings{HomeCountry: "DE"},
		Custodians: []portfolio.Custodian{{ID: "safe", Name: "Safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "DE"}},
		Holdings: []portfolio.Holding{{ID: "bars", Kind: portfolio.KindGold, Custodian: "safe", Weight: decimal.NewFromInt(1), WeightUnit: portfolio.TroyOunce,
			Fineness: decimal.RequireFromString("0.9999"), Pieces: 37, Form: portfolio.FormBar}},
		Prices: []portfolio.Price{price("XAU", "4180.50", "USD")},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	s := mustFind(t, p, "gfc-2008")
	from := csvValue(t, "gold/gold_usd_monthly_avg_worldbank.csv", s.From)
	to := csvValue(t, "gold/gold_usd_monthly_avg_worldbank.csv", s.To)

	r := run(t, p, "USD", s)
	// 37 × 0.9999 oz × 4180.50 USD = 154,663.03 (rounded to the cent).
	if want := decimal.RequireFromString("154663.03"); !r.Before.Equal(want) {
		t.Fatalf("before = %s, want %s", r.Before, want)
	}
	want := r.Before.Mul(to).Div(from)
	if diff := r.After.Sub(want).Abs(); diff.GreaterThan(decimal.RequireFromString("0.005")) {
		t.Errorf("after = %s, want %s (gold %s -> %s): off by %s", r.After, want.Round(4), from, to, diff)
	}
	if !r.MarketAfter.Equal(r.After) || !r.Change().Equal(r.After.Sub(r.Before)) {
		t.Errorf("market after %s, after %s, change %s: a market replay has no custody part", r.MarketAfter, r.After, r.Change())
	}
	for k, a := range r.Accessible {
		if !a.Equal(r.After) {
			t.Errorf("accessible at day %d = %s, want all of %s", Checkpoints[k], a, r.After)
		}
	}
	if len(r.Notes) != 0 {
		t.Errorf("notes %q: gold has history over the window", r.Notes)
	}

	// The low along the way is the lowest monthly gold price of the
	// window over the first month's: in 2008 gold never fell below
	// October 2007; from 1980 to 1982 it fell by more than half.
	checkLow(t, r, s)
	checkLow(t, run(t, p, "USD", mustFind(t, p, "volcker-1980")), mustFind(t, p, "volcker-1980"))

	// Measured in gold ounces, gold does not move at all.
	rx := run(t, p, portfolio.UnitXAU, s)
	if !rx.After.Equal(rx.Before) {
		t.Errorf("in XAU: before %s, after %s: gold measured in gold cannot move", rx.Before, rx.After)
	}
	// Measured in euros it moves as gold in euros did: the ratio of
	// gold in USD times the euro's USD value, at both ends.
	eurFrom := csvValue(t, "fx/eur_per_usd_monthly_avg_fred.csv", s.From)
	eurTo := csvValue(t, "fx/eur_per_usd_monthly_avg_fred.csv", s.To)
	p.FX = []portfolio.FXRate{{Base: "USD", Quote: "EUR", Rate: decimal.RequireFromString("0.8650"), Time: now.Add(-time.Hour)}}
	re := run(t, p, "EUR", s)
	wantE := re.Before.Mul(to).Mul(eurTo).Div(from.Mul(eurFrom))
	if diff := re.After.Sub(wantE).Abs(); diff.GreaterThan(decimal.RequireFromString("0.005")) {
		t.Errorf("in EUR: after = %s, want %s", re.After, wantE.Round(4))
	}
}

// custodyPortfolio holds one of each case the custody events must tell
// apart, in EUR with a German home.
func custodyPortfolio() *portfolio.Portfolio {
	dec := decimal.RequireFromString
	gold := func(id, cust string, n int64) portfolio.Holding {
		return portfolio.Holding{ID: id, Kind: portfolio.KindGold, Custodian: cust, Weight: dec("1"), WeightUnit: portfolio.TroyOunce,
			Fineness: dec("0.9999"), Pieces: n, Form: portfolio.FormCoin}
	}
	cash := func(id, cust, amount string) portfolio.Holding {
		return portfolio.Holding{ID: id, Kind: portfolio.KindCash, Custodian: cust, Currency: "EUR", Amount: dec(amount)}
	}
	p := &portfolio.Portfolio{
		Schema:   1,
		Settings: portfolio.Settings{Unit: "EUR", HomeCountry: "DE"},
		Custodians: []portfolio.Custodian{
			{ID: "small-bank", Name: "Small bank", Kind: portfolio.CustodyBank, Jurisdiction: "DE", InsuranceCap: dec("100000"), InsuranceCurrency: "EUR"},
			{ID: "big-bank", Name: "Big bank", Kind: portfolio.CustodyBank, Jurisdiction: "DE", InsuranceCap: dec("100000"), InsuranceCurrency: "EUR"},
			{ID: "split-bank", Name: "Split bank", Kind: portfolio.CustodyBank, Jurisdiction: "DE", InsuranceCap: dec("100000"), InsuranceCurrency: "EUR"},
			{ID: "swiss-bank", Name: "Swiss bank", Kind: portfolio.CustodyBank, Jurisdiction: "CH", InsuranceCap: dec("100000"), InsuranceCurrency: "CHF"},
			{ID: "safe", Name: "Home safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "DE"},
			{ID: "vault", Name: "Zurich vault", Kind: portfolio.CustodyVault, Jurisdiction: "CH"},
			{ID: "broker", Name: "Broker", Kind: portfolio.CustodyBroker, Jurisdiction: "US"},
			{ID: "trust", Name: "Gold trust", Kind: portfolio.CustodyETFTrust, Jurisdiction: "US"},
			{ID: "exchange", Name: "Exchange", Kind: portfolio.CustodyExchange, Jurisdiction: "US"},
			{ID: "ledger", Name: "Ledger", Kind: portfolio.CustodyHardwareWallet, Jurisdiction: "DE"},
		},
		Holdings: []portfolio.Holding{
			cash("below-cap", "small-bank", "50000"),
			cash("above-cap", "big-bank", "250000"),
			cash("split-a", "split-bank", "80000"),
			cash("split-b", "split-bank", "60000"),
			cash("swiss-eur", "swiss-bank", "300000"),
			gold("home-gold", "safe", 10),
			gold("vault-gold", "vault", 20),
			{ID: "etf", Kind: portfolio.KindETF, Custodian: "broker", Issuer: "trust", Ticker: "GLD", Units: dec("100"),
				OzPerShare: dec("0.0914"), OzPerShareDate: now, ExpenseRatio: dec("0.004")},
			{ID: "exchange-btc", Kind: portfolio.KindBTC, Custodian: "exchange", Sats: 50_000_000},
			{ID: "ledger-btc", Kind: portfolio.KindBTC, Custodian: "ledger", Sats: 200_000_000},
		},
		Prices: []portfolio.Price{price("XAU", "4000", "EUR"), price("GLD", "360", "EUR"), price("BTC", "80000", "EUR")},
		FX:     []portfolio.FXRate{{Base: "EUR", Quote: "CHF", Rate: dec("0.95"), Time: now.Add(-time.Hour)}},
	}
	return p
}

func byID(r *Result) map[string]*Holding {
	m := map[string]*Holding{}
	for i := range r.Holdings {
		m[r.Holdings[i].ID] = &r.Holdings[i]
	}
	return m
}

// hitIDs lists the holdings a custody event touched.
func hitIDs(r *Result) []string {
	var ids []string
	for _, h := range r.Holdings {
		if len(h.Events) > 0 {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

// TestCustodyEventsHitTheRightHoldings runs each built-in custody event,
// and events scoped each way, on one portfolio and checks which holdings
// each hits and what is left of them, from the events' definitions.
func TestCustodyEventsHitTheRightHoldings(t *testing.T) {
	dec := decimal.RequireFromString
	p := custodyPortfolio()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	type want struct {
		after string
		acc   [NCheckpoints]string // "" means: the after value
	}
	cases := []struct {
		name     string
		scenario *Scenario
		hit      []string
		want     map[string]want
	}{
		{
			// 47.5% of what each German bank holds above EUR 100,000;
			// 12 days closed. The split bank's two deposits are below the
			// cap one by one, above it together: the cut is 0.475 × 40,000
			// = 19,000, shared 80:60. The Swiss bank is abroad.
			name: "cyprus bail-in", scenario: mustFind(t, p, "cyprus-2013"),
			hit: []string{"below-cap", "above-cap", "split-a", "split-b"},
			want: map[string]want{
				"below-cap": {after: "50000", acc: [4]string{"0", "0"}},
				"above-cap": {after: "178750", acc: [4]string{"0", "0"}}, // 250,000 − 0.475 × 150,000
				"split-a":   {after: "69142.86", acc: [4]string{"0", "0"}},
				"split-b":   {after: "51857.14", acc: [4]string{"0", "0"}},
				"swiss-eur": {after: "300000"},
			},
		},
		{
			// Physical gold in Germany only: the home safe's, not the
			// Swiss vault's, nor the ETF's. Bought at its day-0 value in
			// EUR, paid on day 26; the euro then falls 40.943% against
			// everything else, so unconfiscated gold is worth
			// 1/(1 − 0.40943) times as much in euros.
			name: "gold confiscation", scenario: mustFind(t, p, "gold-confiscation"),
			hit: []string{"home-gold"},
			want: map[string]want{
				"home-gold":  {after: "39996", acc: [4]string{"0", "0"}}, // 10 × 0.9999 × 4,000
				"vault-gold": {after: dec("79992").DivRound(dec("0.59057"), 2).String()},
				"etf":        {after: dec("36000").DivRound(dec("0.59057"), 2).String()},
				"below-cap":  {after: "50000"},
			},
		},
		{
			// Bitcoin on the exchange is lost, 24% comes back on day 830:
			// after a year none of it is reachable. The Ledger's is not
			// touched, nor anything else.
			name: "exchange failure", scenario: mustFind(t, p, "exchange-failure"),
			hit: []string{"exchange-btc"},
			want: map[string]want{
				"exchange-btc": {after: "9600", acc: [4]string{"0", "0", "0", "0"}}, // 0.24 × 0.5 × 80,000
				"ledger-btc":   {after: "160000"},
			},
		},
		{
			// Bitcoin falls 80% everywhere; only the exchange's is frozen,
			// for 30 days.
			name: "bitcoin security spiral", scenario: mustFind(t, p, "btc-security"),
			hit: []string{"exchange-btc"},
			want: map[string]want{
				"exchange-btc": {after: "8000", acc: [4]string{"0", "0"}},
				"ledger-btc":   {after: "32000"},
			},
		},
		{
			// Abroad: brokers, ETF trusts and exchanges frozen for good
			// (the ETF also by its kind), banks for 180 days. At home
			// nothing is frozen.
			name: "sanctions", scenario: mustFind(t, p, "sanctions"),
			hit: []string{"swiss-eur", "etf", "exchange-btc"},
			want: map[string]want{
				// EUR cash stays EUR cash: the euro falls, and so does the unit.
				"swiss-eur": {after: "300000", acc: [4]string{"0", "0", "0"}},
				// Bitcoin +15% against everything, the euro −50%: × 1.15 / 0.5.
				"exchange-btc": {after: "92000", acc: [4]string{"0", "0", "0", "0"}},
				"ledger-btc":   {after: "368000"},
				"etf":          {after: "72000", acc: [4]string{"0", "0", "0", "0"}},
				"below-cap":    {after: "50000"},
			},
		},
		{
			name: "freeze by custodian",
			scenario: &Scenario{ID: "t", Name: "t", Events: []portfolio.CustodyEvent{
				{Kind: portfolio.EventFreeze, Custodians: []string{"vault"}, Days: 7}}},
			hit:  []string{"vault-gold"},
			want: map[string]want{"vault-gold": {after: "79992", acc: [4]string{"0"}}},
		},
		{
			// An ETF depends on its trust as much as on its broker.
			name: "ETF trust by custody kind",
			scenario: &Scenario{ID: "t", Name: "t", Events: []portfolio.CustodyEvent{
				{Kind: portfolio.EventLoss, CustodyKinds: []portfolio.CustodyKind{portfolio.CustodyETFTrust}, Share: dec("0.5")}}},
			hit:  []string{"etf"},
			want: map[string]want{"etf": {after: "18000"}},
		},
		{
			name: "jurisdiction CH",
			scenario: &Scenario{ID: "t", Name: "t", Events: []portfolio.CustodyEvent{
				{Kind: portfolio.EventFreeze, Jurisdictions: []string{"CH"}, Indefinite: true}}},
			hit: []string{"swiss-eur", "vault-gold"},
			want: map[string]want{
				"swiss-eur":  {after: "300000", acc: [4]string{"0", "0", "0", "0"}},
				"vault-gold": {after: "79992", acc: [4]string{"0", "0", "0", "0"}},
			},
		},
		{
			name: "home jurisdiction, gold and bitcoin only",
			scenario: &Scenario{ID: "t", Name: "t", Events: []portfolio.CustodyEvent{
				{Kind: portfolio.EventLoss, Jurisdictions: []string{"home"}, Assets: []portfolio.Kind{portfolio.KindGold, portfolio.KindBTC},
					Share: dec("1"), Recovery: dec("0.5"), RecoveryDays: 30}}},
			hit: []string{"home-gold", "ledger-btc"},
			want: map[string]want{
				"home-gold":  {after: "19998", acc: [4]string{"0", "0"}},
				"ledger-btc": {after: "80000", acc: [4]string{"0", "0"}},
			},
		},
		{
			// Bought back at a fixed 2,000 CHF per fine ounce: 9.999 oz ×
			// 2,000 CHF / 0.95 CHF per EUR, paid at once.
			name: "confiscation at a fixed price",
			scenario: &Scenario{ID: "t", Name: "t", Events: []portfolio.CustodyEvent{
				{Kind: portfolio.EventConfiscation, Custodians: []string{"safe"}, Price: dec("2000"), PriceCurrency: "CHF"}}},
			hit:  []string{"home-gold"},
			want: map[string]want{"home-gold": {after: "21050.53"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, p, "EUR", c.scenario)
			if got := hitIDs(r); !slices.Equal(got, c.hit) {
				t.Errorf("hit %v, want %v", got, c.hit)
			}
			hs := byID(r)
			for id, w := range c.want {
				h := hs[id]
				if !h.After.Equal(dec(w.after)) {
					t.Errorf("%s: after = %s, want %s (%v)", id, h.After, w.after, h.Events)
				}
				for k, a := range w.acc {
					want := w.after
					if a != "" {
						want = a
					}
					if !h.Accessible[k].Equal(dec(want)) {
						t.Errorf("%s: accessible at day %d = %s, want %s (%v)", id, Checkpoints[k], h.Accessible[k], want, h.Events)
					}
				}
			}
			// Totals are the sums of the holdings.
			sum := decimal.Zero
			for _, h := range r.Holdings {
				sum = sum.Add(h.After)
			}
			if !sum.Equal(r.After) {
				t.Errorf("after %s is not the sum of the holdings %s", r.After, sum)
			}
		})
	}
}

var decimalHalfCent = decimal.RequireFromString("0.005")

// TestDecimalPathAgrees: a portfolio too large for int64 sums is worked
// in decimals; every holding's figures are the same as in the integer
// path.
func TestDecimalPathAgrees(t *testing.T) {
	small := custodyPortfolio()
	big := custodyPortfolio()
	big.Holdings = append(big.Holdings, portfolio.Holding{ID: "giant", Kind: portfolio.KindCash, Custodian: "swiss-bank", Currency: "EUR",
		Amount: decimal.RequireFromString("100000000000000000")})
	if _, ok := portfolio.Valuate(big, "EUR", now).LineCoefficient(0); ok {
		t.Fatal("the big portfolio still fits int64")
	}
	for _, s := range Builtins() {
		rs, rb := run(t, small, "EUR", &s), run(t, big, "EUR", &s)
		for i, h := range rs.Holdings {
			g := rb.Holdings[i]
			if !h.MarketAfter.Equal(g.MarketAfter) || !h.After.Equal(g.After) || fmt.Sprint(h.Accessible) != fmt.Sprint(g.Accessible) {
				t.Errorf("%s %s: integer %s %s %v, decimal %s %s %v", s.ID, h.ID, h.MarketAfter, h.After, h.Accessible, g.MarketAfter, g.After, g.Accessible)
			}
		}
	}
}

// checkLow compares the result's low with the lowest month of the gold
// file over the scenario's window.
func checkLow(t *testing.T, r *Result, s *Scenario) {
	t.Helper()
	file := "gold/gold_usd_monthly_avg_worldbank.csv"
	from := csvValue(t, file, s.From)
	lowest, lowMonth := from, s.From
	for m, _ := history.ParseMonth(s.From); m.String() <= s.To; m++ {
		if x := csvValue(t, file, m.String()); x.LessThan(lowest) {
			lowest, lowMonth = x, m.String()
		}
	}
	if r.Low == nil || r.Low.Month.String() != lowMonth {
		t.Fatalf("%s: low %+v, want %s", s.ID, r.Low, lowMonth)
	}
	if want := lowest.Div(from).InexactFloat64(); math.Abs(r.Low.Multiple-want) > 1e-12 {
		t.Errorf("%s: low multiple %v, want %v (gold %s at %s)", s.ID, r.Low.Multiple, want, lowest, lowMonth)
	}
	if want := r.Before.Mul(lowest).Div(from); r.Low.Value.Sub(want).Abs().GreaterThan(decimalHalfCent) {
		t.Errorf("%s: low value %s, want %s", s.ID, r.Low.Value, want.Round(4))
	}
}

// TestTotalsDoNotOverflow: holdings that fit int64 one by one but whose
// sum after the moves does not are totalled in decimals, exactly.
func TestTotalsDoNotOverflow(t *testing.T) {
	p := custodyPortfolio()
	huge := decimal.RequireFromString("40000000000000000") // 4e16 CHF: 4.2e18 cents of EUR each
	p.Holdings = []portfolio.Holding{
		{ID: "a", Kind: portfolio.KindCash, Custodian: "swiss-bank", Currency: "CHF", Amount: huge},
		{ID: "b", Kind: portfolio.KindCash, Custodian: "swiss-bank", Currency: "CHF", Amount: huge},
	}
	v := portfolio.Valuate(p, "EUR", now)
	if _, ok := v.LineCoefficient(0); !ok {
		t.Fatal("the day-0 values do not fit int64: this test wants them to")
	}
	s := &Scenario{ID: "t", Name: "t", Moves: []portfolio.Move{{Asset: "CHF", Change: decimal.RequireFromString("0.5")}}}
	r, err := Run(v, s, history.MustLoad())
	if err != nil {
		t.Fatal(err)
	}
	sum := r.Holdings[0].MarketAfter.Add(r.Holdings[1].MarketAfter)
	if !r.MarketAfter.Equal(sum) || !r.After.Equal(sum) || !r.Accessible[0].Equal(sum) || !r.MarketAfter.GreaterThan(decimal.New(math.MaxInt64, -2)) {
		t.Errorf("totals %s %s %v, want %s", r.MarketAfter, r.After, r.Accessible, sum)
	}
}
