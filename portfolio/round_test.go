package portfolio

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func TestRoundHalfUpMatchesDecimalRound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := decimal.New(rng.Int64N(1<<62)-(1<<61), -rng.Int32N(30))
		if i%7 == 0 {
			x = decimal.New(int64(rng.IntN(2000)-1000)*5, -3) // exact halves
		}
		scale := rng.Int32N(10)
		if got, want := roundHalfUp(x, scale), x.Round(scale); !got.Equal(want) {
			t.Fatalf("roundHalfUp(%s, %d) = %s, want %s", x, scale, got, want)
		}
	}
}

func FuzzRoundHalfUp(f *testing.F) {
	f.Add(int64(12345), int32(-3), int32(2))
	f.Fuzz(func(t *testing.T, v int64, exp, scale int32) {
		if exp < -60 || exp > 10 || scale < 0 || scale > 20 {
			return
		}
		x := decimal.New(v, exp)
		if got, want := roundHalfUp(x, scale), x.Round(scale); !got.Equal(want) {
			t.Fatalf("roundHalfUp(%s, %d) = %s, want %s", x, scale, got, want)
		}
	})
}

func TestPerMille(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		w := decimal.New(rng.Int64N(2_000_000_000_000)-1_000_000_000_000, -rng.Int32N(16))
		if i%5 == 0 {
			w = decimal.New(int64(rng.IntN(20000)-10000)*5, -4) // exact halves of a per mille
		}
		if got, want := PerMille(w), w.Shift(3).Round(0).IntPart(); got != want {
			t.Fatalf("PerMille(%s) = %d, want %d", w, got, want)
		}
	}
}

func TestFormatDecimalMatchesStringFixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		scale := rng.Int32N(9)
		v := decimal.New(rng.Int64N(1<<50)-(1<<49), -scale)
		if i%3 == 0 {
			v = decimal.New(rng.Int64N(1000)-500, -rng.Int32N(12)) // other exponents, small values
		}
		want := group(v.StringFixed(scale))
		if got := FormatDecimal(v, scale); got != want {
			t.Fatalf("FormatDecimal(%s, %d) = %q, want %q", v, scale, got, want)
		}
	}
	for _, c := range []struct {
		v     string
		scale int32
		want  string
	}{{"1234567.891", 2, "1,234,567.89"}, {"-0.05", 2, "-0.05"}, {"0.005", 2, "0.01"}, {"123", 0, "123"}, {"-1234", 0, "-1,234"}, {"0.00000001", 8, "0.00000001"}} {
		if got := FormatDecimal(decimal.RequireFromString(c.v), c.scale); got != c.want {
			t.Errorf("FormatDecimal(%s, %d) = %q, want %q", c.v, c.scale, got, c.want)
		}
	}
}
