package stress

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// factor is a growth factor as an unsigned coefficient × 10^exp, for
// 128-bit integer products; small says it fits (coefficient within
// uint64, exponent from -19 to 0), which every growth factor below about
// 1,800 does.
type factor struct {
	u     uint64
	exp   int32
	small bool
}

func factorOf(g decimal.Decimal) factor {
	c := g.Coefficient()
	f := factor{exp: g.Exponent()}
	if c.Sign() >= 0 && c.IsUint64() && f.exp <= 0 && f.exp >= -19 {
		f.u, f.small = c.Uint64(), true
	}
	return f
}

// pow10u caches 10^n for n up to 19.
var pow10u = func() [20]uint64 {
	var t [20]uint64
	x := uint64(1)
	for i := range t {
		t[i] = x
		x *= 10
	}
	return t
}()

// mulRound returns c × f rounded half away from zero to a whole number
// (c counts the unit's smallest unit, and so does the result), and false
// when the factor or the product does not fit: the caller then works in
// decimals.
func mulRound(c int64, f factor) (int64, bool) {
	if !f.small || c < 0 {
		return 0, false
	}
	div := pow10u[-f.exp]
	hi, lo := bits.Mul64(uint64(c), f.u)
	if hi >= div {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, div)
	if r >= div-r {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}
