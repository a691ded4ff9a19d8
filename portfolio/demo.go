package portfolio

import (
	_ "embed"
	"time"
)

//go:embed demo.toml
var demoTOML []byte

// DemoFile is the name the demo portfolio's errors and title use.
const DemoFile = "demo.toml"

// DemoSource is the embedded demo portfolio file.
func DemoSource() []byte { return append([]byte(nil), demoTOML...) }

// Demo returns the embedded demo portfolio with its price and FX times moved,
// whole days at a time, so that the newest quote is two days before now.
// The relative ages stay as written, so one ETF price is stale.
func Demo(now time.Time) *Portfolio {
	p, err := Decode(DemoFile, demoTOML)
	if err != nil {
		panic("embedded demo portfolio is invalid: " + err.Error())
	}
	var newest time.Time
	for _, pr := range p.Prices {
		if pr.Time.After(newest) {
			newest = pr.Time
		}
	}
	for _, fx := range p.FX {
		if fx.Time.After(newest) {
			newest = fx.Time
		}
	}
	shift := now.Add(-48 * time.Hour).Sub(newest).Truncate(24 * time.Hour)
	for i := range p.Prices {
		p.Prices[i].Time = p.Prices[i].Time.Add(shift)
	}
	for i := range p.FX {
		p.FX[i].Time = p.FX[i].Time.Add(shift)
	}
	return p
}
