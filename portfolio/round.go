package portfolio

import (
	"math/big"

	"github.com/shopspring/decimal"
)

// pow10 caches 10^n for the rescaling that rounding needs; decimal.Round
// recomputes the power on every call, which dominated valuation time.
var pow10 = func() [64]*big.Int {
	var t [64]*big.Int
	t[0] = big.NewInt(1)
	ten := big.NewInt(10)
	for i := 1; i < len(t); i++ {
		t[i] = new(big.Int).Mul(t[i-1], ten)
	}
	return t
}()

var bigOne = big.NewInt(1)

// roundHalfUp rounds x to scale decimal places, half away from zero, the
// same result as x.Round(scale).
func roundHalfUp(x decimal.Decimal, scale int32) decimal.Decimal {
	d, _ := roundCoefficient(x, scale)
	return d
}

// roundCoefficient rounds like roundHalfUp and also returns the result's
// coefficient at exponent -scale, which the caller may keep (for sums).
func roundCoefficient(x decimal.Decimal, scale int32) (decimal.Decimal, *big.Int) {
	exp := x.Exponent()
	diff := -scale - exp
	if diff <= 0 || int(diff) >= len(pow10) {
		r := x.Round(scale)
		c := r.Coefficient()
		if e := r.Exponent(); e > -scale {
			c.Mul(c, pow10[e+scale])
		}
		return r, c
	}
	c := x.Coefficient()
	div := pow10[diff]
	q, r := new(big.Int).QuoRem(c, div, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(div) >= 0 {
		if c.Sign() < 0 {
			q.Sub(q, bigOne)
		} else {
			q.Add(q, bigOne)
		}
	}
	return decimal.NewFromBigInt(q, -scale), q
}
