package portfolio

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"
)

// Generate builds a valid synthetic portfolio of n holdings spread over
// every kind, 40 custodians and 50 tickers, with quotes dated one day before
// now. It serves benchmarks and load tests; seed makes it reproducible.
func Generate(n int, seed uint64, now time.Time) *Portfolio {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := Demo(now)
	p.Name = fmt.Sprintf("Generated %d", n)
	p.Holdings = nil
	countries := []string{"DE", "CH", "US", "SG", "GB", "AT", "LI", "CA"}
	for i := 0; i < 40; i++ {
		k := CustodyKinds[i%len(CustodyKinds)]
		c := Custodian{ID: fmt.Sprintf("cust-%02d", i), Name: fmt.Sprintf("%s %d", k.Label(), i), Kind: k, Jurisdiction: countries[i%len(countries)]}
		if k == CustodyBank {
			c.InsuranceCap, c.InsuranceCurrency = decimal.NewFromInt(100000), "EUR"
		}
		p.Custodians = append(p.Custodians, c)
	}
	for t := 0; t < 50; t++ {
		p.Prices = append(p.Prices, Price{Asset: fmt.Sprintf("T%02d", t), Value: decimal.New(int64(1000+rng.IntN(90000)), -2), Currency: []string{"USD", "EUR", "CHF"}[t%3], Time: now.Add(-24 * time.Hour), Source: "generated"})
	}
	cash := []string{"USD", "EUR", "CHF"}
	for i := 0; i < n; i++ {
		h := Holding{ID: fmt.Sprintf("h%05d", i), Custodian: fmt.Sprintf("cust-%02d", rng.IntN(40))}
		switch Kinds[i%len(Kinds)] {
		case KindBTC:
			h.Kind, h.Sats = KindBTC, int64(rng.IntN(200_000_000))+1
		case KindGold:
			h.Kind, h.Weight, h.WeightUnit, h.Fineness, h.Pieces, h.Form = KindGold, decimal.NewFromInt(1), TroyOunce, decimal.RequireFromString("0.9999"), int64(1+rng.IntN(20)), FormCoin
		case KindETF:
			h.Kind, h.Ticker, h.Units = KindETF, "GLD", decimal.NewFromInt(int64(1+rng.IntN(500)))
			h.OzPerShare, h.OzPerShareDate, h.ExpenseRatio = decimal.RequireFromString("0.0914"), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), decimal.RequireFromString("0.004")
		case KindCash:
			h.Kind, h.Currency, h.Amount = KindCash, cash[rng.IntN(3)], decimal.New(int64(rng.IntN(10_000_000)), -2)
		case KindOther:
			h.Kind, h.Ticker, h.Units, h.AssetClass = KindOther, fmt.Sprintf("T%02d", rng.IntN(50)), decimal.NewFromInt(int64(1+rng.IntN(1000))), "equity fund"
		}
		p.Holdings = append(p.Holdings, h)
	}
	return p
}
