package portfolio

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParsePriceCSV(t *testing.T) {
	src := "Asset,Price,Currency,Time,Source\n" +
		"btc,81000.50,USD,2026-11-25T10:00:00Z,\n" +
		"XAU,4180.5,usd,2026-11-24,lbma\n" +
		"USD,0.8650,EUR,2026-11-24T16:00:00+01:00,ecb\n"
	prices, fx, err := ParsePriceCSV("p.csv", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(prices) != 2 || len(fx) != 1 {
		t.Fatalf("got %d prices, %d rates", len(prices), len(fx))
	}
	if p := prices[0]; p.Asset != "BTC" || !p.Value.Equal(d("81000.50")) || p.Currency != "USD" || p.Source != "csv" {
		t.Errorf("row 1: %+v", p)
	}
	if p := prices[1]; !p.Time.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) || p.Source != "lbma" {
		t.Errorf("row 2: %+v", p)
	}
	if r := fx[0]; r.Base != "USD" || r.Quote != "EUR" || !r.Rate.Equal(d("0.865")) || !r.Time.Equal(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("fx row: %+v", r)
	}
	// Merged into a portfolio, the newer quote wins and the result is valid.
	p := small()
	q, err := p.WithPrices(prices, fx)
	if err != nil {
		t.Fatal(err)
	}
	if pr, _ := q.PriceOf("BTC"); !pr.Value.Equal(d("81000.50")) {
		t.Errorf("BTC price not replaced: %s", pr.Value)
	}
	// A pair is one entry whichever way it is quoted: the newer USD/EUR
	// replaces EUR/USD.
	if len(q.FX) != 1 || q.FX[0].Base != "USD" || !q.FX[0].Rate.Equal(d("0.865")) {
		t.Errorf("FX after merge: %+v", q.FX)
	}
	if pr, _ := p.PriceOf("BTC"); !pr.Value.Equal(d("80000")) {
		t.Errorf("WithPrices changed the original")
	}
}

func TestParsePriceCSVBadRows(t *testing.T) {
	head := "asset,price,currency,time\n"
	good := "BTC,80000,USD,2026-11-24\n"
	cases := []struct{ name, src, want string }{
		{"empty", "", "p.csv: empty file"},
		{"missing column", "asset,price,time\n", `p.csv:1: header: missing column "currency"`},
		{"bad price", head + good + "XAU,abc,USD,2026-11-24\n", `p.csv:3: price: "abc" is not a decimal number`},
		{"negative", head + good + "XAU,-1,USD,2026-11-24\n", `p.csv:3: price: must be greater than zero`},
		{"bad currency", head + "XAU,4000,EUX,2026-11-24\n", `p.csv:2: currency: unknown currency "EUX"`},
		{"no time", head + good + good + "XAU,4000,USD,\n", `p.csv:4: time: is empty`},
		{"bad time", head + "XAU,4000,USD,yesterday\n", `p.csv:2: time: "yesterday" is not a time`},
		{"same currency", head + "EUR,1,EUR,2026-11-24\n", `p.csv:2: currency: an FX rate needs two different currencies`},
		{"quote", head + "\"XAU,4000,USD,2026-11-24\n", `p.csv:2: column`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, fx, err := ParsePriceCSV("p.csv", strings.NewReader(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if p != nil || fx != nil {
				t.Errorf("returned rows with an error: nothing may be half-imported")
			}
		})
	}
}

func TestEditsLeaveOriginal(t *testing.T) {
	p := Demo(testNow)
	before, _ := Encode(p)
	h := Holding{ID: p.NewHoldingID("btc-ledger"), Kind: KindBTC, Custodian: "ledger", Sats: 1000}
	if h.ID != "btc-ledger-2" {
		t.Errorf("NewHoldingID = %q, want btc-ledger-2", h.ID)
	}
	q, err := p.WithHolding(h, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Holdings) != len(p.Holdings)+1 {
		t.Errorf("holding not added")
	}
	if _, err := q.WithHolding(h, false); err == nil {
		t.Errorf("added a duplicate ID")
	}
	bad := h
	bad.Sats = -5
	if _, err := q.WithHolding(bad, true); err == nil || AsErrors(err)[0].Key != "sats" {
		t.Errorf("negative sats accepted or error without field: %v", err)
	}
	r, err := q.WithoutHolding(h.ID)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := Encode(r)
	if string(before) != string(after) {
		t.Errorf("add then remove does not give the original back")
	}
	if now, _ := Encode(p); string(now) != string(before) {
		t.Errorf("edits changed the original portfolio")
	}
}

func TestWithoutCustodian(t *testing.T) {
	p := Demo(testNow)
	if _, err := p.WithoutCustodian("nope"); !errors.Is(err, ErrNoSuchID) {
		t.Errorf("unknown custodian: %v", err)
	}
	// spdr issues the GLD holding without holding it: still in use.
	if _, err := p.WithoutCustodian("spdr"); err == nil || !strings.Contains(err.Error(), "gld") {
		t.Errorf("custodian issuing gld removed: %v", err)
	}
	q, err := p.WithoutHolding("krugerrands")
	if err == nil {
		q, err = q.WithoutHolding("maples")
	}
	if err == nil {
		q, err = q.WithoutCustodian("home-safe")
	}
	if err != nil {
		t.Fatal(err)
	}
	if q.Custodian("home-safe") != nil || p.Custodian("home-safe") == nil || q.Validate() != nil {
		t.Error("home-safe not removed from the copy only, or the copy is invalid")
	}
}
