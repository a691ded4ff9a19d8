package portfolio

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// small is a portfolio whose values can be worked out by hand.
func small() *Portfolio {
	t := testNow.Add(-24 * time.Hour)
	return &Portfolio{
		Schema: 1,
		Custodians: []Custodian{
			{ID: "hw", Name: "Trezor", Kind: CustodyHardwareWallet, Jurisdiction: "CH"},
			{ID: "bank", Name: "Bank", Kind: CustodyBank, Jurisdiction: "DE", InsuranceCap: d("100000"), InsuranceCurrency: "EUR"},
			{ID: "safe", Name: "Safe", Kind: CustodyHomeSafe, Jurisdiction: "DE"},
		},
		Holdings: []Holding{
			{ID: "btc", Kind: KindBTC, Custodian: "hw", Sats: 50_000_000},                                                                       // 0.5 BTC
			{ID: "eur", Kind: KindCash, Custodian: "bank", Currency: "EUR", Amount: d("1000")},                                                  // 1000 EUR
			{ID: "bar", Kind: KindGold, Custodian: "safe", Weight: d("100"), WeightUnit: Gram, Fineness: d("0.9999"), Pieces: 1, Form: FormBar}, // 100 g
		},
		Prices: []Price{
			{Asset: "BTC", Value: d("80000"), Currency: "USD", Time: t},
			{Asset: "XAU", Value: d("4000"), Currency: "USD", Time: t.Add(-10 * 24 * time.Hour)},
		},
		FX: []FXRate{{Base: "EUR", Quote: "USD", Rate: d("1.25"), Time: t}},
	}
}

func TestValuateByHand(t *testing.T) {
	p := small()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	oz := d("100").Mul(d("0.9999")).Div(d("31.1034768")) // fine ounces of the bar
	goldUSD := oz.Mul(d("4000"))
	cases := []struct {
		unit  Unit
		lines []decimal.Decimal // unrounded expectations
	}{
		{"USD", []decimal.Decimal{d("40000"), d("1250"), goldUSD}},
		{"EUR", []decimal.Decimal{d("32000"), d("1000"), goldUSD.Div(d("1.25"))}},
		{UnitBTC, []decimal.Decimal{d("0.5"), d("1250").Div(d("80000")), goldUSD.Div(d("80000"))}},
		{UnitSat, []decimal.Decimal{d("50000000"), d("1250").Div(d("80000")).Mul(d("1e8")), goldUSD.Div(d("80000")).Mul(d("1e8"))}},
		{UnitXAU, []decimal.Decimal{d("10"), d("1250").Div(d("4000")), oz}},
	}
	for _, c := range cases {
		v := Valuate(p, c.unit, testNow)
		sum := decimal.Zero
		for i, want := range c.lines {
			want = want.Round(c.unit.Scale())
			if !v.Lines[i].Value.Equal(want) {
				t.Errorf("%s: line %d = %s, want %s", c.unit, i, v.Lines[i].Value, want)
			}
			sum = sum.Add(v.Lines[i].Value)
		}
		if !v.Total.Equal(sum) {
			t.Errorf("%s: total %s is not the sum of lines %s", c.unit, v.Total, sum)
		}
		if v.Unpriced != 0 {
			t.Errorf("%s: %d unpriced", c.unit, v.Unpriced)
		}
	}
}

func TestStaleAndAges(t *testing.T) {
	p := small()
	v := Valuate(p, "USD", testNow)
	if v.Lines[1].Stale || v.Lines[0].Stale {
		t.Errorf("one-day-old quotes flagged stale")
	}
	if !v.Lines[2].Stale || v.Stale != 1 {
		t.Errorf("11-day-old gold price not flagged stale: %+v", v.Lines[2])
	}
	if got, want := v.Lines[2].Age, 11*24*time.Hour; got != want {
		t.Errorf("gold age %v, want %v", got, want)
	}
	// Valued in EUR, the BTC line depends on two quotes: the age is the
	// older one's.
	p.FX[0].Time = testNow.Add(-72 * time.Hour)
	v = Valuate(p, "EUR", testNow)
	if got := v.Lines[0].Age; got != 72*time.Hour {
		t.Errorf("BTC in EUR age %v, want 72h (the FX quote)", got)
	}
	if v.Lines[1].Age != 0 || !v.Lines[1].PriceTime.IsZero() {
		t.Errorf("EUR cash valued in EUR needs no quote, got age %v", v.Lines[1].Age)
	}
}

func TestUnpricedUnit(t *testing.T) {
	p := small()
	v := Valuate(p, "JPY", testNow)
	if v.Unpriced != 3 || !v.Total.IsZero() {
		t.Fatalf("JPY has no quotes: want all unpriced, got %d unpriced, total %s", v.Unpriced, v.Total)
	}
	p.Holdings = append(p.Holdings, Holding{ID: "x", Kind: KindOther, Custodian: "bank", Ticker: "VWRL", Units: d("3")})
	v = Valuate(p, "USD", testNow)
	if v.Unpriced != 1 || !v.Lines[3].Unpriced {
		t.Errorf("holding with no price not flagged unpriced")
	}
}

func TestETFValuedByNAVWithoutTickerPrice(t *testing.T) {
	p := small()
	p.Holdings = append(p.Holdings, Holding{ID: "gld", Kind: KindETF, Custodian: "bank", Ticker: "GLD", Units: d("10"),
		OzPerShare: d("0.1"), OzPerShareDate: testNow, ExpenseRatio: d("0.004")})
	v := Valuate(p, "USD", testNow)
	if got := v.Lines[3].Value; !got.Equal(d("4000")) {
		t.Errorf("10 shares x 0.1 oz x 4000 = %s, want 4000", got)
	}
	p.Prices = append(p.Prices, Price{Asset: "GLD", Value: d("390"), Currency: "USD", Time: testNow})
	v = Valuate(p, "USD", testNow)
	if got := v.Lines[3].Value; !got.Equal(d("3900")) {
		t.Errorf("market price: %s, want 3900", got)
	}
}

func TestOzPerShareDrift(t *testing.T) {
	h := Holding{Kind: KindETF, Units: d("100"), OzPerShare: d("0.1"), OzPerShareDate: testNow, ExpenseRatio: d("0.004")}
	year := testNow.Add(365 * 24 * time.Hour)
	if got, want := h.OzPerShareAt(year), d("0.0996"); !got.Equal(want) {
		t.Errorf("after a year at 0.40%%: %s, want %s", got, want)
	}
	if got := h.OzPerShareAt(testNow.Add(-time.Hour)); !got.Equal(d("0.1")) {
		t.Errorf("before the date: %s", got)
	}
	if got, want := h.FineOunces(year), d("9.96"); !got.Equal(want) {
		t.Errorf("fine ounces %s, want %s", got, want)
	}
}

func TestWeightUnits(t *testing.T) {
	cases := []struct {
		amount string
		unit   WeightUnit
		want   string
	}{
		{"31.1034768", Gram, "1"},
		{"1", Kilogram, "32.150746568628"}, // 1000 / 31.1034768 = 32.15074656862798...
		{"1", TroyOunce, "1"},
		{"1", Tael, "1.2033702933172"}, // 37.429 / 31.1034768 = 1.20337029331717...
	}
	for _, c := range cases {
		got := ToTroyOunces(d(c.amount), c.unit).Round(13)
		if !got.Equal(d(c.want)) {
			t.Errorf("%s %s = %s oz, want %s", c.amount, c.unit, got, c.want)
		}
	}
}

func TestAllocationAddsUp(t *testing.T) {
	p := Demo(testNow)
	for _, u := range []Unit{"EUR", "USD", "CHF", UnitXAU, UnitSat} {
		v := Valuate(p, u, testNow)
		for _, dim := range Dimensions {
			sum, w := decimal.Zero, decimal.Zero
			for _, s := range v.Allocation(dim) {
				sum = sum.Add(s.Value)
				w = w.Add(s.Weight)
			}
			if !sum.Equal(v.Total) {
				t.Errorf("%s/%s: slices sum to %s, total %s", u, dim, sum, v.Total)
			}
			if w.Sub(decimal.NewFromInt(1)).Abs().GreaterThan(d("1e-9")) {
				t.Errorf("%s/%s: weights sum to %s", u, dim, w)
			}
		}
	}
}

func TestDemoIsRealistic(t *testing.T) {
	p := Demo(testNow)
	kinds := map[CustodyKind]bool{}
	for _, c := range p.Custodians {
		kinds[c.Kind] = true
	}
	for _, k := range []CustodyKind{CustodyHardwareWallet, CustodyExchange, CustodyHomeSafe, CustodyVault, CustodyBroker, CustodyBank} {
		if !kinds[k] {
			t.Errorf("demo lacks a %s custodian", k)
		}
	}
	cash := map[string]bool{}
	for _, h := range p.Holdings {
		if h.Kind == KindCash {
			cash[h.Currency] = true
		}
	}
	for _, c := range []string{"USD", "EUR", "CHF"} {
		if !cash[c] {
			t.Errorf("demo lacks %s cash", c)
		}
	}
	var newest time.Time
	for _, pr := range p.Prices {
		if pr.Time.After(newest) {
			newest = pr.Time
		}
	}
	if age := testNow.Sub(newest); age < 24*time.Hour || age > 4*24*time.Hour {
		t.Errorf("demo's newest price is %v old, want a few days", age)
	}
	v := Valuate(p, p.DefaultUnit(), testNow)
	if v.Unpriced != 0 || v.Stale == 0 {
		t.Errorf("demo: %d unpriced (want 0), %d stale (want at least one to show the flag)", v.Unpriced, v.Stale)
	}
}

func BenchmarkValuate1000(b *testing.B) {
	p := Generate(1000, 1, testNow)
	for _, u := range []Unit{"USD", "EUR", UnitXAU, UnitSat} {
		b.Run(string(u), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v := Valuate(p, u, testNow)
				if v.Unpriced != 0 {
					b.Fatal("unpriced holdings")
				}
			}
		})
	}
}

// TestWeightsMatchDecimalDivision checks the integer share computation
// against decimal division rounded the same way.
func TestWeightsMatchDecimalDivision(t *testing.T) {
	for _, p := range []*Portfolio{Demo(testNow), Generate(1000, 7, testNow)} {
		for _, u := range []Unit{"EUR", UnitSat, UnitXAU, "JPY"} {
			v := Valuate(p, u, testNow)
			if v.Total.Sign() <= 0 {
				continue
			}
			for i, l := range v.Lines {
				if want := l.Value.DivRound(v.Total, weightScale); !l.Weight.Equal(want) {
					t.Fatalf("%s line %d: weight %s, want %s", u, i, l.Weight, want)
				}
			}
		}
	}
}

func TestConverterValueMatchesValuation(t *testing.T) {
	p := small()
	for _, u := range []Unit{"USD", "EUR", UnitSat, UnitXAU} {
		c := NewConverter(p, u)
		got, ok := c.Value(string(UnitBTC), p.Holdings[0].BTC())
		if want := Valuate(p, u, testNow).Lines[0].Value; !ok || !got.Equal(want) {
			t.Errorf("%s: Value = %s (%v), valuation line = %s", u, got, ok, want)
		}
	}
	if _, ok := NewConverter(p, "JPY").Value(string(UnitBTC), d("1")); ok {
		t.Error("JPY has no quotes, yet BTC converted")
	}
}
