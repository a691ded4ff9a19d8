package wallet

import (
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

func TestEstimateHeight(t *testing.T) {
	// Block heights and times from the chain, none of them checkpoints:
	// the estimate must lie below the real height, by no more than the
	// margin plus two weeks of drift.
	cases := []struct {
		height int32
		time   time.Time
	}{
		{500000, time.Date(2017, 12, 18, 18, 35, 25, 0, time.UTC)},
		{700000, time.Date(2021, 9, 11, 4, 14, 32, 0, time.UTC)},
		{800000, time.Date(2023, 7, 24, 3, 17, 37, 0, time.UTC)},
	}
	for _, c := range cases {
		got := EstimateHeight(descriptor.Mainnet, c.time)
		if got > c.height || c.height-got > 2*BirthdayMargin {
			t.Errorf("block %d at %s: estimate %d", c.height, c.time.Format(time.DateOnly), got)
		}
	}
	for _, c := range mainnetCheckpoints[1:] {
		if got := EstimateHeight(descriptor.Mainnet, c.time); got != c.height-BirthdayMargin {
			t.Errorf("checkpoint %d: %d", c.height, got)
		}
	}
	for _, early := range []time.Time{time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2010, 6, 1, 0, 0, 0, 0, time.UTC)} {
		if got := EstimateHeight(descriptor.Mainnet, early); got != 0 {
			t.Errorf("%s: %d, want 0 (from genesis)", early.Format(time.DateOnly), got)
		}
	}
	if got := EstimateHeight(descriptor.Testnet, time.Now()); got != 0 {
		t.Errorf("testnet: %d, want 0 (from genesis)", got)
	}
	later := EstimateHeight(descriptor.Mainnet, time.Date(2026, 4, 20, 0, 9, 27, 0, time.UTC))
	if want := int32(840000 + 730*144 - BirthdayMargin); later != want {
		t.Errorf("two years after the last checkpoint: %d, want %d", later, want)
	}
}
