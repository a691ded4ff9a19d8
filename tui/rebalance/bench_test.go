package rebalance

import (
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/history"
	"codeberg.org/hardfolio/hardfolio/tui/common"
)

// BenchmarkCompute is the screen's work for the demo when the snapshot
// changes: the plan, its what-if analysed on both sides, and the backtest
// of five policies.
func BenchmarkCompute(b *testing.B) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	snap := common.BuildSnapshot(portfolio.Demo(now), "EUR", now)
	history.MustLoad()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := Compute(snap, "", "", false)
		if r.Plan == nil || r.Compare == nil || r.Back == nil {
			b.Fatal(r.PlanErr, r.WhatErr, r.BackErr)
		}
	}
}
