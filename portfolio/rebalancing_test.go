package portfolio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

const rebalanceSection = `
[rebalance]
band_abs = "0.05"
band_rel = "0.25"
never_sell = ["BTC"]
min_trade = "100"
min_trade_currency = "EUR"

[[rebalance.target]]
asset = "BTC"
weight = "0.30"

[[rebalance.target]]
class = "Gold"
weight = "0.50"
band_abs = "0.10"

[[rebalance.target]]
class = "Cash"
weight = "0.20"

[rebalance.costs]
fee_rate = "12"
commission = "1.00"
commission_currency = "USD"
gold_premium = "0.03"
gold_spread = "0.02"
fx_spread = "0.002"

[[rebalance.whatif]]
name = "less paper gold"
created = 2026-11-20
note = "sell gld 10"

[[rebalance.whatif.trade]]
holding = "gld"
quantity = "-10"
cost = "1"
cost_currency = "USD"
`

// demoWith is the demo file with its own [rebalance] section replaced by
// section.
func demoWith(section string) string {
	src := string(DemoSource())
	if i := strings.Index(src, "\n[rebalance]"); i >= 0 {
		src = src[:i]
	}
	return src + section
}

func TestRebalanceSectionRoundTrip(t *testing.T) {
	p, err := Decode("p.toml", []byte(demoWith(rebalanceSection)))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rebalance
	if len(r.Targets) != 3 || r.Targets[0].By != ByAssetTarget || r.Targets[1].Key != "Gold" || r.Targets[1].Band == nil || !r.Targets[1].Band.Abs.Equal(decimal.RequireFromString("0.10")) {
		t.Fatalf("targets %+v", r.Targets)
	}
	if r.Costs.OnChainFee() != 12*DefaultTxVBytes || len(r.WhatIfs) != 1 || r.WhatIfs[0].Trades[0].Quantity.String() != "-10" {
		t.Fatalf("costs or what-ifs %+v %+v", r.Costs, r.WhatIfs)
	}
	data, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode("q.toml", data)
	if err != nil {
		t.Fatalf("decoding what Encode wrote: %v\n%s", err, data)
	}
	again, _ := Encode(q)
	if !bytes.Equal(data, again) {
		t.Fatal("encode -> decode -> encode is not stable")
	}
	c := p.Clone()
	c.Rebalance.Targets[1].Band.Abs = decimal.Zero
	c.Rebalance.WhatIfs[0].Trades[0].Holding = "x"
	if p.Rebalance.Targets[1].Band.Abs.IsZero() || p.Rebalance.WhatIfs[0].Trades[0].Holding != "gld" {
		t.Fatal("Clone shares the rebalance settings")
	}
}

func TestTargetErrors(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"short", `weight = "0.20"`, `weight = "0.15"`, `weights add up to 95%, not 100%: 5% short`},
		{"over", `weight = "0.20"`, `weight = "0.275"`, `weights add up to 107.5%, not 100%: 7.5% over`},
		{"band wider than target", `band_abs = "0.10"`, `band_abs = "0.60"`, `target "Gold": band ±60 pp (±60%) is wider than the target 50%`},
		{"unknown class", `class = "Cash"`, `class = "Crypto"`, `target "Crypto": unknown asset class`},
		{"twice", `class = "Cash"`, `class = "Gold"`, `target "Gold": set twice (targets #2 and #3)`},
		{"lower-case asset", "asset = \"BTC\"\nweight", "asset = \"btc\"\nweight", `in capitals`},
		{"negative cost", `gold_spread = "0.02"`, `gold_spread = "-0.02"`, `rebalance.costs: gold_spread: must not be negative`},
		{"negative band", `band_abs = "0.05"`, `band_abs = "-0.05"`, `rebalance: band_abs: a band cannot be negative`},
		{"negative relative band", `band_rel = "0.25"`, `band_rel = "-0.25"`, `rebalance: band_rel: a band cannot be negative`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(demoWith(rebalanceSection), tc.from, tc.to, 1)
			_, err := Decode("p.toml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "p.toml:") {
				t.Errorf("error %v names no line", err)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d errors for one mistake: %v", n, err)
			}
		})
	}
}

func TestBandWidth(t *testing.T) {
	d := decimal.RequireFromString
	b := Band{Abs: d("0.05"), Rel: d("0.25")}
	// The 5/25 rule: a quarter of a 10% target (2.5 pp) is narrower
	// than 5 pp; for a 40% target 5 pp is narrower than 10 pp.
	if got := b.Width(d("0.10")); !got.Equal(d("0.025")) {
		t.Errorf("5/25 band of 10%%: %s", got)
	}
	if got := b.Width(d("0.40")); !got.Equal(d("0.05")) {
		t.Errorf("5/25 band of 40%%: %s", got)
	}
	if got := (Band{}).Width(d("0.4")); !got.IsZero() {
		t.Errorf("no band: %s", got)
	}
}
