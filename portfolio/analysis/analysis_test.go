package analysis

import (
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func data(testing.TB) *history.Data { return history.MustLoad() }

// book is a portfolio of USD cash and the prices the other cases need:
// BTC at 100,000 USD, gold at 4,000 USD, 1 EUR = 1.25 USD, 1 CHF = 1.25
// USD.
func book(custodians []portfolio.Custodian, holdings []portfolio.Holding) *portfolio.Portfolio {
	t := now.Add(-time.Hour)
	p := &portfolio.Portfolio{
		Schema:     1,
		Settings:   portfolio.Settings{HomeCountry: "DE"},
		Custodians: custodians,
		Holdings:   holdings,
		Prices: []portfolio.Price{
			{Asset: "BTC", Value: dec("100000"), Currency: "USD", Time: t},
			{Asset: "XAU", Value: dec("4000"), Currency: "USD", Time: t},
			{Asset: "GLD", Value: dec("400"), Currency: "USD", Time: t},
		},
		FX: []portfolio.FXRate{
			{Base: "EUR", Quote: "USD", Rate: dec("1.25"), Time: t},
			{Base: "CHF", Quote: "USD", Rate: dec("1.25"), Time: t},
		},
	}
	return p
}

func cash(id, custodian, currency, amount string) portfolio.Holding {
	return portfolio.Holding{ID: id, Kind: portfolio.KindCash, Custodian: custodian, Currency: currency, Amount: dec(amount)}
}

func btc(id, custodian string, sats int64) portfolio.Holding {
	return portfolio.Holding{ID: id, Kind: portfolio.KindBTC, Custodian: custodian, Sats: sats}
}

func goldOz(id, custodian, oz string) portfolio.Holding {
	return portfolio.Holding{ID: id, Kind: portfolio.KindGold, Custodian: custodian, Weight: dec(oz), WeightUnit: portfolio.TroyOunce,
		Fineness: dec("1"), Pieces: 1, Form: portfolio.FormBar}
}

func valuate(t *testing.T, p *portfolio.Portfolio, unit portfolio.Unit) *portfolio.Valuation {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return portfolio.Valuate(p, unit, now)
}

// TestConcentrationByHand: 50, 30 and 20 USD at three custodians in two
// countries.
func TestConcentrationByHand(t *testing.T) {
	p := book([]portfolio.Custodian{
		{ID: "a", Name: "Bank A", Kind: portfolio.CustodyBank, Jurisdiction: "US"},
		{ID: "b", Name: "Bank B", Kind: portfolio.CustodyBank, Jurisdiction: "US"},
		{ID: "s", Name: "Safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "DE"},
	}, []portfolio.Holding{cash("x", "a", "USD", "50"), cash("y", "b", "USD", "30"), cash("z", "s", "USD", "20")})
	cs := Concentrations(valuate(t, p, "USD"))
	want := map[string]float64{
		"class":        1,                  // all cash
		"asset":        1,                  // all USD
		"custody_kind": 0.8*0.8 + 0.2*0.2,  // banks 80%, home safe 20%
		"custodian":    0.25 + 0.09 + 0.04, // 50/30/20
		"jurisdiction": 0.8*0.8 + 0.2*0.2,  // US 80%, DE 20%
		"currency":     1,                  // USD
	}
	if len(cs) != len(want) {
		t.Fatalf("%d dimensions, want %d", len(cs), len(want))
	}
	for _, c := range cs {
		w, ok := want[c.Dimension.Key()]
		if !ok || math.Abs(c.Herfindahl-w) > 1e-12 || math.Abs(c.Effective-1/w) > 1e-9 {
			t.Errorf("%s: HHI %v effective %v, want %v and %v", c.Dimension.Key(), c.Herfindahl, c.Effective, w, 1/w)
		}
	}
	fs, largest := Failures(valuate(t, p, "USD"))
	if largest < 0 || fs[largest].Text != "50% of net worth depends on one bank (Bank A)" {
		t.Errorf("largest failure %v: %+v", largest, fs)
	}
}

// TestCustodyRules is a table of custody cases: each portfolio breaks the
// rules listed, and no others.
func TestCustodyRules(t *testing.T) {
	custodians := []portfolio.Custodian{
		{ID: "hw", Name: "Ledger", Kind: portfolio.CustodyHardwareWallet, Jurisdiction: "DE"},
		{ID: "hw2", Name: "Trezor", Kind: portfolio.CustodyHardwareWallet, Jurisdiction: "DE"},
		{ID: "ms", Name: "Multisig", Kind: portfolio.CustodyMultisig, Jurisdiction: "DE"},
		{ID: "safe", Name: "Home safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "DE"},
		{ID: "vault", Name: "Vault", Kind: portfolio.CustodyVault, Jurisdiction: "DE"},
		{ID: "ex", Name: "Exchange", Kind: portfolio.CustodyExchange, Jurisdiction: "DE"},
		{ID: "broker", Name: "Broker", Kind: portfolio.CustodyBroker, Jurisdiction: "DE"},
		{ID: "trust", Name: "Trust", Kind: portfolio.CustodyETFTrust, Jurisdiction: "DE"},
		{ID: "bank", Name: "Bank", Kind: portfolio.CustodyBank, Jurisdiction: "DE", InsuranceCap: dec("100000"), InsuranceCurrency: "EUR"},
		{ID: "bare", Name: "Bare bank", Kind: portfolio.CustodyBank, Jurisdiction: "DE"},
	}
	// Most cases hold gold in multisig beside what they test, so that
	// the rule under test is what the holding breaks.
	etf := portfolio.Holding{ID: "gld", Kind: portfolio.KindETF, Custodian: "broker", Ticker: "GLD", Units: dec("10"),
		OzPerShare: dec("0.1"), OzPerShareDate: now, Issuer: "trust"}
	cases := []struct {
		name     string
		holdings []portfolio.Holding
		limits   map[portfolio.Limit]decimal.Decimal
		rules    []string // rules warned about, in order
	}{
		{"bank below its cap", []portfolio.Holding{cash("c", "bank", "EUR", "90000"), goldOz("g", "ms", "200")}, nil, nil},
		{"bank above its cap", []portfolio.Holding{cash("c", "bank", "EUR", "150000"), goldOz("g", "ms", "200")}, nil,
			[]string{"uninsured"}},
		{"bank above its cap through two currencies", []portfolio.Holding{cash("c", "bank", "EUR", "60000"), cash("f", "bank", "CHF", "60000"), goldOz("g", "ms", "200")}, nil,
			[]string{"uninsured"}},
		{"uninsured within a raised limit", []portfolio.Holding{cash("c", "bank", "EUR", "150000"), goldOz("g", "ms", "200")},
			map[portfolio.Limit]decimal.Decimal{portfolio.LimitUninsured: dec("0.1")}, nil},
		{"bank without a cap", []portfolio.Holding{cash("c", "bare", "EUR", "1000"), goldOz("g", "ms", "200")}, nil, []string{RuleNoCap}},
		{"gold at home: one building", []portfolio.Holding{goldOz("g", "safe", "60"), goldOz("m", "ms", "40")}, nil, []string{"home"}},
		{"gold in a vault: a party", []portfolio.Holding{goldOz("g", "vault", "30"), goldOz("m", "ms", "70")}, nil, []string{"custodian"}},
		{"gold ETF: broker and trust, a claim", []portfolio.Holding{etf, goldOz("m", "ms", "0.5")}, nil,
			[]string{"custodian", "custodian", "counterparty", "etf_gold"}},
		{"BTC on one hardware wallet", []portfolio.Holding{btc("b", "hw", 10_000_000), goldOz("m", "ms", "5")}, nil, []string{RuleBTCKeys}},
		{"BTC on two hardware wallets at home", []portfolio.Holding{btc("b", "hw", 10_000_000), btc("c", "hw2", 10_000_000), goldOz("m", "ms", "10")}, nil,
			[]string{RuleBTCKeys}},
		{"BTC in multisig", []portfolio.Holding{btc("b", "ms", 10_000_000), goldOz("m", "ms", "5")}, nil, nil},
		{"BTC on an exchange, a little", []portfolio.Holding{btc("b", "ms", 96_000_000), btc("e", "ex", 4_000_000), goldOz("m", "ms", "100")}, nil, nil},
		{"BTC on an exchange, too much", []portfolio.Holding{btc("b", "ms", 80_000_000), btc("e", "ex", 20_000_000), goldOz("m", "ms", "10")}, nil,
			[]string{"exchange", "exchange_btc"}},
		{"BTC on an exchange, any is too much", []portfolio.Holding{btc("b", "ms", 96_000_000), btc("e", "ex", 4_000_000), goldOz("m", "ms", "100")},
			map[portfolio.Limit]decimal.Decimal{portfolio.LimitExchangeBTC: decimal.Zero}, []string{"exchange_btc"}},
		{"one asset class", []portfolio.Holding{btc("b", "ms", 10_000_000), goldOz("m", "ms", "1")},
			map[portfolio.Limit]decimal.Decimal{portfolio.LimitAssetClass: dec("0.7")}, []string{"asset_class"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := book(custodians, c.holdings)
			// Everything is in one country and mostly gold: lift the
			// jurisdiction and asset-class limits unless the case sets
			// them.
			p.Analysis.Limits = map[portfolio.Limit]decimal.Decimal{portfolio.LimitJurisdiction: dec("1"), portfolio.LimitAssetClass: dec("1")}
			for k, x := range c.limits {
				p.Analysis.Limits[k] = x
			}
			v := valuate(t, p, "USD")
			fs, _ := Failures(v)
			var got []string
			for _, w := range Warnings(v, fs) {
				got = append(got, w.Rule)
			}
			if !slices.Equal(got, c.rules) {
				for _, w := range Warnings(v, fs) {
					t.Log(w.Text)
				}
				t.Errorf("rules %v, want %v", got, c.rules)
			}
		})
	}
}

// TestUninsuredAmount checks the excess over the cap in figures: 150,000
// EUR at a bank insuring 100,000 EUR leaves 50,000 EUR (62,500 USD)
// uninsured, of a net worth of 187,500 USD + 800,000 USD of gold.
func TestUninsuredAmount(t *testing.T) {
	p := book([]portfolio.Custodian{
		{ID: "bank", Name: "Bank", Kind: portfolio.CustodyBank, Jurisdiction: "DE", InsuranceCap: dec("100000"), InsuranceCurrency: "EUR"},
		{ID: "ms", Name: "Multisig", Kind: portfolio.CustodyMultisig, Jurisdiction: "CH"},
	}, []portfolio.Holding{cash("c", "bank", "EUR", "150000"), goldOz("g", "ms", "200")})
	v := valuate(t, p, "USD")
	ws := depositWarnings(v)
	if len(ws) != 1 {
		t.Fatalf("warnings %+v", ws)
	}
	want := dec("62500").DivRound(dec("987500"), 12)
	if !ws[0].Share.Equal(want) || !strings.Contains(ws[0].Text, "50,000.00 EUR above its insurance cap of 100,000.00 EUR") {
		t.Errorf("share %s (want %s): %s", ws[0].Share, want, ws[0].Text)
	}
}

// TestFailureTexts checks the plain-words points on a portfolio that has
// each kind once.
func TestFailureTexts(t *testing.T) {
	p := book([]portfolio.Custodian{
		{ID: "hw", Name: "Ledger", Kind: portfolio.CustodyHardwareWallet, Jurisdiction: "DE"},
		{ID: "safe", Name: "Home safe", Kind: portfolio.CustodyHomeSafe, Jurisdiction: "DE"},
		{ID: "broker", Name: "Broker", Kind: portfolio.CustodyBroker, Jurisdiction: "US"},
	}, []portfolio.Holding{
		btc("b", "hw", 20_000_000),          // 20,000 USD
		goldOz("g", "safe", "5"),            // 20,000 USD
		cash("c", "broker", "USD", "60000"), // 60,000 USD
	})
	fs, largest := Failures(valuate(t, p, "USD"))
	texts := map[FailureKind][]string{}
	for _, f := range fs {
		texts[f.Kind] = append(texts[f.Kind], f.Text)
	}
	want := map[FailureKind][]string{
		FailureParty:        {"60% of net worth depends on one broker (Broker)"},
		FailureHome:         {"40% of net worth is in one building, your home: Ledger, Home safe (hardware wallets in DE taken to be kept at home)"},
		FailureKeys:         {"all self-custodied bitcoin (20% of net worth) is behind one hardware wallet, Ledger: the device and its seed backup are a single point of failure"},
		FailureJurisdiction: {"60% of net worth is held under one country's law (US)", "40% of net worth is held under one country's law (DE)"},
	}
	for k, w := range want {
		if !slices.Equal(texts[k], w) {
			t.Errorf("%s: %q\nwant %q", k, texts[k], w)
		}
	}
	if fs[largest].Kind != FailureParty {
		t.Errorf("largest is %+v, want the broker", fs[largest])
	}
}

// fileLevels reads a bundled series' value column from its CSV file.
func fileLevels(t *testing.T, file string) (months []history.Month, values []float64) {
	t.Helper()
	raw, err := os.ReadFile("../history/data/" + file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Split(line, ",")
		m, err := history.ParseMonth(f[0])
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		months, values = append(months, m), append(values, v)
	}
	return months, values
}

// TestRiskOfGoldFromTheFile: a portfolio of gold alone, in USD, has the
// volatility, drawdown and worst year of the gold file itself, computed
// here from the file by brute force.
func TestRiskOfGoldFromTheFile(t *testing.T) {
	months, prices := fileLevels(t, "gold/gold_usd_monthly_avg_worldbank.csv")
	r, err := RiskOf([]Position{{Holding: "g", Asset: history.Gold, Weight: 1}}, history.USD, data(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.From != months[1] || r.To != months[len(months)-1] || r.Months != len(prices)-1 {
		t.Fatalf("window %s to %s (%d), want %s to %s", r.From, r.To, r.Months, months[1], months[len(months)-1])
	}
	var rets []float64
	for i := 1; i < len(prices); i++ {
		rets = append(rets, prices[i]/prices[i-1]-1)
	}
	mean, ss := 0.0, 0.0
	for _, x := range rets {
		mean += x
	}
	mean /= float64(len(rets))
	for _, x := range rets {
		ss += (x - mean) * (x - mean)
	}
	if want := math.Sqrt(12 * ss / float64(len(rets)-1)); math.Abs(r.Volatility-want) > 1e-12 {
		t.Errorf("volatility %v, want %v", r.Volatility, want)
	}
	// Largest fall from any month's price to a later one.
	depth, pi, ti := 0.0, 0, 0
	for i := range prices {
		for j := i + 1; j < len(prices); j++ {
			if d := prices[j]/prices[i] - 1; d < depth {
				depth, pi, ti = d, i, j
			}
		}
	}
	dd := r.MaxDrawdown
	if math.Abs(dd.Depth-depth) > 1e-12 || dd.Peak != months[pi] || dd.Trough != months[ti] {
		t.Errorf("drawdown %+v, want %v from %s to %s", dd, depth, months[pi], months[ti])
	}
	rec := -1
	for j := ti + 1; j < len(prices); j++ {
		if prices[j] >= prices[pi] {
			rec = j
			break
		}
	}
	if (rec >= 0) != dd.Recovered || (rec >= 0 && dd.Recovery != months[rec]) {
		t.Errorf("recovery %+v, want index %d", dd, rec)
	}
	worst, wi := math.Inf(1), 0
	for j := 12; j < len(prices); j++ {
		if x := prices[j]/prices[j-12] - 1; x < worst {
			worst, wi = x, j
		}
	}
	if w := r.Worst12; w == nil || math.Abs(w.Return-worst) > 1e-12 || w.To != months[wi] || w.From != months[wi-11] {
		t.Errorf("worst 12 months %+v, want %v ending %s", w, worst, months[wi])
	}
	if want := math.Pow(prices[len(prices)-1]/prices[0], 12/float64(len(rets))) - 1; math.Abs(r.AnnualReturn-want) > 1e-12 {
		t.Errorf("annual return %v, want %v", r.AnnualReturn, want)
	}
	if r.DiversificationRatio != 1 || r.Assets[0].Contribution != 1 {
		t.Errorf("one asset: diversification %v, contribution %v, want 1 and 1", r.DiversificationRatio, r.Assets[0].Contribution)
	}
}

// TestRiskAgainstThePortfolioSeries checks the covariance-matrix figures
// against the same figures computed another way: from the replayed
// portfolio's own monthly series.
func TestRiskAgainstThePortfolioSeries(t *testing.T) {
	d := data(t)
	pos := []Position{
		{Holding: "a", Asset: history.BTC, Weight: 0.1},
		{Holding: "b", Asset: history.Gold, Weight: 0.3},
		{Holding: "c", Asset: history.Gold, Weight: 0.2},
		{Holding: "d", Asset: "CHF", Weight: 0.15},
		{Holding: "e", Asset: history.Equities, Weight: 0.25},
	}
	r, err := RiskOf(pos, "EUR", d)
	if err != nil {
		t.Fatal(err)
	}
	assets := []history.Asset{history.BTC, history.Gold, "CHF", history.Equities}
	weights := []float64{0.1, 0.5, 0.15, 0.25}
	ret, err := d.Returns(assets, history.Options{Unit: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if r.From != ret.From || r.To != ret.To || r.StartsWith != history.BTC || r.EndsWith != history.Equities {
		t.Errorf("window %s-%s set by %s and %s", r.From, r.To, r.StartsWith, r.EndsWith)
	}
	T := ret.Len()
	port := make([]float64, T)
	for i, w := range weights {
		for t := range port {
			port[t] += w * ret.R[i][t]
		}
	}
	cov := func(x, y []float64) float64 {
		mx, my := 0.0, 0.0
		for i := range x {
			mx += x[i]
			my += y[i]
		}
		mx /= float64(len(x))
		my /= float64(len(y))
		s := 0.0
		for i := range x {
			s += (x[i] - mx) * (y[i] - my)
		}
		return s / float64(len(x)-1)
	}
	vp := cov(port, port)
	if want := math.Sqrt(12 * vp); math.Abs(r.Volatility-want) > 1e-12 {
		t.Errorf("volatility %v, want %v from the portfolio series", r.Volatility, want)
	}
	sumSD := 0.0
	for i, a := range assets {
		k := slices.IndexFunc(r.Assets, func(x AssetRisk) bool { return x.Asset == a })
		got := r.Assets[k]
		// Contribution: w_i cov(r_i, r_p) / var(r_p).
		if want := weights[i] * cov(ret.R[i], port) / vp; math.Abs(got.Contribution-want) > 1e-12 {
			t.Errorf("%s contribution %v, want %v", a, got.Contribution, want)
		}
		sumSD += weights[i] * math.Sqrt(cov(ret.R[i], ret.R[i]))
		for j, b := range assets {
			l := slices.IndexFunc(r.Assets, func(x AssetRisk) bool { return x.Asset == b })
			want := cov(ret.R[i], ret.R[j]) / math.Sqrt(cov(ret.R[i], ret.R[i])*cov(ret.R[j], ret.R[j]))
			if math.Abs(r.Correlation[k][l]-want) > 1e-12 {
				t.Errorf("correlation %s/%s = %v, want %v", a, b, r.Correlation[k][l], want)
			}
		}
	}
	if want := sumSD / math.Sqrt(vp); math.Abs(r.DiversificationRatio-want) > 1e-12 {
		t.Errorf("diversification ratio %v, want %v", r.DiversificationRatio, want)
	}
	// Holdings of one asset split its contribution by weight.
	total := 0.0
	for _, h := range r.Holdings {
		total += h.Contribution
	}
	if math.Abs(total-1) > 1e-12 || math.Abs(r.Holdings[1].Contribution/r.Holdings[2].Contribution-1.5) > 1e-12 {
		t.Errorf("holding contributions %+v", r.Holdings)
	}
	if r.Assets[0].Asset != history.Gold {
		t.Errorf("assets not by weight: %v", r.Assets)
	}
}

// TestAnalyzeWindows: with bitcoin the window starts in 2012; the rest of
// the portfolio is then measured again over its own longer window.
func TestAnalyzeWindows(t *testing.T) {
	p := book([]portfolio.Custodian{{ID: "ms", Name: "Multisig", Kind: portfolio.CustodyMultisig, Jurisdiction: "CH"}},
		[]portfolio.Holding{btc("b", "ms", 10_000_000), goldOz("g", "ms", "10"), cash("c", "ms", "SEK", "100")})
	p.FX = append(p.FX, portfolio.FXRate{Base: "SEK", Quote: "USD", Rate: dec("0.1"), Time: now})
	r := Analyze(valuate(t, p, "USD"), data(t))
	if r.Risk == nil || r.Risk.From.String() != "2012-02" || r.Risk.StartsWith != history.BTC {
		t.Fatalf("risk %+v, %v", r.Risk, r.RiskErr)
	}
	if len(r.Risk.Excluded) != 1 || r.Risk.Excluded[0].Holding != "c" {
		t.Errorf("excluded %+v, want the SEK cash", r.Risk.Excluded)
	}
	if r.WithoutBTC == nil || r.WithoutBTC.From.String() != "1960-02" || len(r.WithoutBTC.Assets) != 1 || r.WithoutBTC.Assets[0].Weight != 1 {
		t.Errorf("without BTC: %+v", r.WithoutBTC)
	}
	// In a unit without history, risk is measured in USD and says so.
	p.Settings.Unit = "SEK"
	r = Analyze(valuate(t, p, "SEK"), data(t))
	if r.Risk == nil || r.Risk.Unit != history.USD || r.Risk.UnitNote == "" {
		t.Errorf("SEK: %+v", r.Risk)
	}
	if r := Analyze(valuate(t, p, "USD"), nil); r.RiskErr != ErrNoHistory || r.Risk != nil {
		t.Errorf("no history: %v", r.RiskErr)
	}
}

// BenchmarkAnalyzeDemo is the full analysis of the demo, over the whole
// history (the history parsed once, as the program does).
func BenchmarkAnalyzeDemo(b *testing.B) {
	d := data(b)
	p := portfolio.Demo(now)
	v := portfolio.Valuate(p, "EUR", now)
	b.ReportAllocs()
	for b.Loop() {
		if r := Analyze(v, d); r.Risk == nil {
			b.Fatal(r.RiskErr)
		}
	}
}

// BenchmarkAnalyze1000 is the full analysis of a generated 1,000-holding
// portfolio over the whole history.
func BenchmarkAnalyze1000(b *testing.B) {
	d := data(b)
	p := portfolio.Generate(1000, 1, now)
	v := portfolio.Valuate(p, "USD", now)
	b.ReportAllocs()
	for b.Loop() {
		if r := Analyze(v, d); r.Risk == nil {
			b.Fatal(r.RiskErr)
		}
	}
}
