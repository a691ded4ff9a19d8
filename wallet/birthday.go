package wallet

import (
	"time"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// mainnetCheckpoints are mainnet blocks with their timestamps: block
// 100,000 and the four halvings. Before the first, blocks came too
// irregularly to interpolate, and a birthday then scans from genesis.
var mainnetCheckpoints = []struct {
	height int32
	time   time.Time
}{
	{100000, time.Date(2010, 12, 29, 11, 57, 43, 0, time.UTC)},
	{210000, time.Date(2012, 11, 28, 15, 24, 38, 0, time.UTC)},
	{420000, time.Date(2016, 7, 9, 16, 46, 13, 0, time.UTC)},
	{630000, time.Date(2020, 5, 11, 19, 23, 43, 0, time.UTC)},
	{840000, time.Date(2024, 4, 20, 0, 9, 27, 0, time.UTC)},
}

// BirthdayMargin is how many blocks EstimateHeight starts before its
// estimate: about two weeks, far more than block times drift between
// checkpoints, so a scan from the estimate never misses a transaction made
// on the birthday.
const BirthdayMargin = 2016

// EstimateHeight estimates the height of the first block mined on or after
// t, minus BirthdayMargin, so that a wallet created on date t can be
// scanned from it: on mainnet by interpolating between checkpoints (and 144
// blocks a day after the last one); before the end of 2010 and on other
// networks, whose block times are too irregular to estimate, 0 (from
// genesis).
func EstimateHeight(net descriptor.Network, t time.Time) int32 {
	if net != descriptor.Mainnet || !t.After(mainnetCheckpoints[0].time) {
		return 0
	}
	var h float64
	last := mainnetCheckpoints[len(mainnetCheckpoints)-1]
	if !t.Before(last.time) {
		h = float64(last.height) + t.Sub(last.time).Hours()*6
	} else {
		for i := 1; i < len(mainnetCheckpoints); i++ {
			a, b := mainnetCheckpoints[i-1], mainnetCheckpoints[i]
			if t.Before(b.time) {
				frac := t.Sub(a.time).Seconds() / b.time.Sub(a.time).Seconds()
				h = float64(a.height) + frac*float64(b.height-a.height)
				break
			}
		}
	}
	est := int32(h) - BirthdayMargin
	if est < 0 {
		return 0
	}
	return est
}
