package stress

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// TestMulRoundMatchesDecimal: the integer products round exactly as
// decimal's Mul and Round (half away from zero) do, for growth factors
// from a near-total loss to a thousandfold rise and values up to 10^15
// of the smallest unit; factors too large are refused, not wrapped.
func TestMulRoundMatchesDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	if _, ok := mulRound(1, factorOf(decimal.RequireFromString("123456.0123456789012345"))); ok {
		t.Error("a factor beyond uint64 at 16 places was taken")
	}
	if _, ok := mulRound(100_000_000_000_000_000, factorOf(decimal.RequireFromString("999.9999999999999999"))); ok {
		t.Error("a product beyond int64 was taken")
	}
	for i := 0; i < 20000; i++ {
		scale := int32(rng.IntN(9))
		c := rng.Int64N(1_000_000_000_000_000)
		if i%5 == 0 {
			c = rng.Int64N(1000)
		}
		g := decimal.NewFromFloat(rng.Float64()*1000).DivRound(decimal.NewFromFloat(1+rng.Float64()*3), growthPrecision)
		if i%7 == 0 {
			g = decimal.New(int64(rng.IntN(2000)), -3) // exact halves and the like
		}
		want := decimal.New(c, -scale).Mul(g).Round(scale)
		got, ok := mulRound(c, factorOf(g))
		if !ok {
			t.Fatalf("%d × %s at scale %d: not computed", c, g, scale)
		}
		if !decimal.New(got, -scale).Equal(want) {
			t.Fatalf("%d × %s at scale %d = %d, want %s", c, g, scale, got, want)
		}
	}
}
