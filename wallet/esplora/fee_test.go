package esplora

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

func TestPickFeeRate(t *testing.T) {
	m := map[string]float64{"2": 87.882, "3": 80, "6": 68.285, "144": 1.027, "1008": 1}
	for target, want := range map[int]float64{1: 87.882, 2: 87.882, 4: 80, 6: 68.285, 143: 68.285, 144: 1.027, 5000: 1} {
		got, err := pickFeeRate(m, target, func(f string, a ...any) error { return fmt.Errorf(f, a...) }, func(e error) error { return e })
		if err != nil || got != want {
			t.Errorf("target %d: %v, %v; want %v", target, got, err, want)
		}
	}
	bad := []map[string]float64{{"x": 1}, {"0": 1}, {"2": -1}, {"2": math.Inf(1)}}
	for _, m := range bad {
		if _, err := pickFeeRate(m, 2, func(f string, a ...any) error { return fmt.Errorf(f, a...) }, func(e error) error { return e }); err == nil {
			t.Errorf("%v: no error", m)
		}
	}
	_, err := pickFeeRate(map[string]float64{}, 2, nil, func(e error) error { return e })
	if !errors.Is(err, chain.ErrNoFeeEstimate) {
		t.Errorf("no estimates: %v", err)
	}
}
