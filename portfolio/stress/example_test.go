package stress_test

import (
	"fmt"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/portfolio/stress"
)

// The stress table of a portfolio: every scenario of the library run on
// one valuation, here two rows of it.
func ExampleRunLibrary() {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	p := portfolio.Demo(now)
	v := portfolio.Valuate(p, "EUR", now)
	d, err := history.Load()
	if err != nil {
		panic(err)
	}
	results, err := stress.RunLibrary(v, d)
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		if r.Scenario.ID != "cyprus-2013" && r.Scenario.ID != "exchange-failure" {
			continue
		}
		fmt.Printf("%s: before %s, after %s, accessible at day %d %s\n", r.Scenario.ID,
			v.Unit.Format(r.Before), v.Unit.Format(r.After), stress.Checkpoints[0], v.Unit.Format(r.Accessible[0]))
		for _, i := range r.Worst {
			fmt.Printf("  worst hit: %s, %s\n", r.Holdings[i].ID, v.Unit.Format(r.Holdings[i].Hit()))
		}
	}
	// Output:
	// cyprus-2013: before 369,604.42 EUR, after 369,604.42 EUR, accessible at day 0 327,604.42 EUR
	// exchange-failure: before 369,604.42 EUR, after 365,106.98 EUR, accessible at day 0 363,686.74 EUR
	//   worst hit: btc-kraken, 5,917.68 EUR
}
