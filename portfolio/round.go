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

// pow10i holds 10^n for n up to 18, the int64 range.
var pow10i = func() [19]int64 {
	var t [19]int64
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// PerMille returns w × 1000 rounded half away from zero: a share of 0.1234
// is 123 per mille. It avoids decimal's rescaling when w's coefficient fits
// in an int64, as the shares Valuate and Allocation produce do, because
// views format thousands of shares.
func PerMille(w decimal.Decimal) int64 {
	e := w.Exponent() + 3 // w × 1000 = c × 10^e
	if e <= 0 && e > -19 && w.NumDigits() <= 18 {
		c := w.CoefficientInt64()
		p := pow10i[-e]
		q, r := c/p, c%p
		if r < 0 {
			r = -r
		}
		if 2*r >= p {
			if c < 0 {
				q--
			} else {
				q++
			}
		}
		return q
	}
	return w.Shift(3).Round(0).IntPart()
}
