package rebalance

import (
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// TestSettingsSet reads every setting from text, refuses bad text with a
// message saying what is wrong, and writes it back as it reads it.
func TestSettingsSet(t *testing.T) {
	cases := []struct {
		name, text string
		check      func(s *portfolio.RebalanceSettings) bool
		err        string
	}{
		{"fee-rate", "2.5", func(s *portfolio.RebalanceSettings) bool { return s.Costs.FeeRate.Equal(d("2.5")) }, ""},
		{"fee-rate", "", func(s *portfolio.RebalanceSettings) bool { return s.Costs.FeeRate.IsZero() }, ""},
		{"fee-rate", "-1", nil, "-1 is negative: want a fee rate in sat/vB"},
		{"fee-rate", "fast", nil, `"fast" is not a number`},
		{"tx-vbytes", "250", func(s *portfolio.RebalanceSettings) bool { return s.Costs.TxVBytes == 250 }, ""},
		{"tx-vbytes", "", func(s *portfolio.RebalanceSettings) bool { return s.Costs.VBytes() == portfolio.DefaultTxVBytes }, ""},
		{"tx-vbytes", "140.5", nil, "140.5 is not a whole number of vbytes"},
		{"tx-vbytes", "100001", nil, "larger than a standard transaction can be (100000 vB)"},
		{"commission", "4.95 chf", func(s *portfolio.RebalanceSettings) bool {
			return s.Costs.Commission.Equal(d("4.95")) && s.Costs.CommissionCurrency == "CHF"
		}, ""},
		{"commission", "0", func(s *portfolio.RebalanceSettings) bool {
			return s.Costs.Commission.IsZero() && s.Costs.CommissionCurrency == ""
		}, ""},
		{"commission", "5", nil, `"5": want AMOUNT CURRENCY`},
		{"commission", "5 EURO", nil, `unknown currency "EURO"`},
		{"commission", "5 XAU", nil, `"XAU" is not a cash currency`},
		{"gold-premium", "4", func(s *portfolio.RebalanceSettings) bool { return s.Costs.GoldPremium.Equal(d("0.04")) }, ""},
		{"gold-spread", "1.5%", func(s *portfolio.RebalanceSettings) bool { return s.Costs.GoldSpread.Equal(d("0.015")) }, ""},
		{"gold-spread", "100", nil, "100% is not a cost: want from 0 to below 100 percent"},
		{"fx-spread", "0.25", func(s *portfolio.RebalanceSettings) bool { return s.Costs.FXSpread.Equal(d("0.0025")) }, ""},
		{"fx-spread", "-0.1", nil, "-0.1% is not a cost"},
		{"fx-spread", "a bit", nil, `"a bit" is not a percentage`},
		{"min-trade", "1,000 usd", func(s *portfolio.RebalanceSettings) bool {
			return s.MinTrade.Equal(d("1000")) && s.MinTradeCurrency == "USD"
		}, ""},
		{"min-trade", "-5 EUR", nil, "-5 is negative"},
		{"never-sell", "bitcoin, gld VAULT-BAR", func(s *portfolio.RebalanceSettings) bool {
			return strings.Join(s.NeverSell, ",") == "Bitcoin,gld,vault-bar"
		}, ""},
		{"never-sell", "xau iau", func(s *portfolio.RebalanceSettings) bool { return strings.Join(s.NeverSell, ",") == "XAU,iau" }, ""},
		{"never-sell", "", func(s *portfolio.RebalanceSettings) bool { return len(s.NeverSell) == 0 }, ""},
		{"never-sell", "BTC btc", nil, `never sell "btc": on the list already`},
		{"never-sell", "moon-rock", nil, `never sell "moon-rock": names no holding, asset, ticker, target or class`},
	}
	for _, c := range cases {
		t.Run(c.name+" "+c.text, func(t *testing.T) {
			p := demo(t)
			st := SettingNamed(c.name)
			if st == nil {
				t.Fatalf("no setting %q", c.name)
			}
			err := st.Set(p, c.text)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(&p.Rebalance) {
				t.Fatalf("settings %+v", p.Rebalance)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("the file refuses it: %v", err)
			}
			// Written back and read again, it is the same.
			q := p.Clone()
			if err := st.Set(q, st.Get(&p.Rebalance)); err != nil {
				t.Fatalf("%q read back: %v", st.Get(&p.Rebalance), err)
			}
			if st.Get(&q.Rebalance) != st.Get(&p.Rebalance) {
				t.Fatalf("read back %q, wrote %q", st.Get(&q.Rebalance), st.Get(&p.Rebalance))
			}
		})
	}
}

// TestNeverSellAddRemove: the list gains and loses references; removing
// one not on it says what is.
func TestNeverSellAddRemove(t *testing.T) {
	p := demo(t)
	p.Rebalance.NeverSell = nil
	if err := AddNeverSell(p, "Gold"); err != nil {
		t.Fatal(err)
	}
	if err := AddNeverSell(p, "gold"); err == nil || !strings.Contains(err.Error(), "on the list already") {
		t.Fatalf("adding twice: %v", err)
	}
	if err := RemoveNeverSell(p, "GOLD"); err != nil || len(p.Rebalance.NeverSell) != 0 {
		t.Fatalf("remove: %v, left %v", err, p.Rebalance.NeverSell)
	}
	if err := RemoveNeverSell(p, "BTC"); err == nil || err.Error() != `never sell "BTC": not on the list: the list is empty` {
		t.Fatalf("remove from an empty list: %v", err)
	}
}

// TestCostSettingsReachThePlan: the fee rate and size set through the
// settings are what the plan's bitcoin legs cost, rate × size rounded up.
func TestCostSettingsReachThePlan(t *testing.T) {
	p := demo(t)
	for name, text := range map[string]string{"fee-rate": "3.3", "tx-vbytes": "200"} {
		if err := SettingNamed(name).Set(p, text); err != nil {
			t.Fatal(err)
		}
	}
	pl := plan(t, p, Options{})
	legs := 0
	for _, tr := range pl.Trades {
		if l := tr.Wallet; l != nil {
			legs++
			if l.FeeSats != 660 || l.VBytes != 200 || !l.FeeRate.Equal(d("3.3")) {
				t.Errorf("%s: leg %+v, want 3.3 sat/vB × 200 vB = 660 sats", tr.Holding, l)
			}
		}
	}
	if legs == 0 {
		t.Fatal("the plan has no bitcoin leg to check")
	}
}
