package stress

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/shopspring/decimal"
)

// pow10 caches 10^n: decimal's own rounding recomputes it every time,
// and a run of every scenario on a large portfolio rounds thousands of
// products.
var pow10 = func() [64]*big.Int {
	var t [64]*big.Int
	x := big.NewInt(1)
	for i := range t {
		t[i] = new(big.Int).Set(x)
		x.Mul(x, big.NewInt(10))
	}
	return t
}()

var bigOne = big.NewInt(1)

// factor is a growth factor as coefficient × 10^exp; small says the
// coefficient is u and the exponent within -19..0, for 128-bit integer
// products.
type factor struct {
	coef  *big.Int
	exp   int32
	u     uint64
	small bool
}

func factorOf(g decimal.Decimal) factor {
	f := factor{coef: g.Coefficient(), exp: g.Exponent()}
	if f.coef.Sign() >= 0 && f.coef.IsUint64() && f.exp <= 0 && f.exp >= -19 {
		f.u, f.small = f.coef.Uint64(), true
	}
	return f
}

// pow10u caches 10^n for n up to 19 as uint64.
var pow10u = func() [20]uint64 {
	var t [20]uint64
	x := uint64(1)
	for i := range t {
		t[i] = x
		x *= 10
	}
	return t
}()

// scaler multiplies whole numbers of the unit's smallest unit by growth
// factors and rounds the products half away from zero, in reused big
// integers.
type scaler struct {
	c, prod, q, r big.Int
}

// mulRound returns c × f rounded to a whole number of smallest units (c
// is at exponent -scale, and so is the result), and false when the
// factor's exponent is out of the cached range.
func (s *scaler) mulRound(c int64, f factor, scale int32) (int64, bool) {
	if f.small && c >= 0 {
		// 128-bit product, divided by 10^-exp, rounded half up.
		div := pow10u[-f.exp]
		hi, lo := bits.Mul64(uint64(c), f.u)
		if hi < div {
			q, r := bits.Div64(hi, lo, div)
			if r >= div-r {
				q++
			}
			if q <= math.MaxInt64 {
				return int64(q), true
			}
		}
	}
	s.c.SetInt64(c)
	s.prod.Mul(&s.c, f.coef)
	// The product is at exponent f.exp - scale; bring it to -scale.
	switch diff := -f.exp; {
	case diff <= 0 && -int(diff) < len(pow10):
		s.q.Mul(&s.prod, pow10[-diff])
	case diff > 0 && int(diff) < len(pow10):
		div := pow10[diff]
		s.q.QuoRem(&s.prod, div, &s.r)
		s.r.Abs(&s.r)
		s.r.Lsh(&s.r, 1)
		if s.r.Cmp(div) >= 0 {
			if s.prod.Sign() < 0 {
				s.q.Sub(&s.q, bigOne)
			} else {
				s.q.Add(&s.q, bigOne)
			}
		}
	default:
		return 0, false
	}
	if !s.q.IsInt64() {
		return 0, false
	}
	return s.q.Int64(), true
}
