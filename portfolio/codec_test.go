package portfolio

import (
	"bytes"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	p := Demo(testNow)
	data, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode("portfolio.toml", data)
	if err != nil {
		t.Fatalf("decoding what Encode wrote: %v", err)
	}
	again, err := Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatalf("encode -> decode -> encode is not stable")
	}
	vp, vq := Valuate(p, "EUR", testNow), Valuate(q, "EUR", testNow)
	if !vp.Total.Equal(vq.Total) {
		t.Errorf("valuation changed across a round trip: %s vs %s", vp.Total, vq.Total)
	}
	for _, want := range []string{`fineness = '0.9167'`, "sats = 125000000", "oz_per_share_date = 2026-10-01", `stale_after = '168h'`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("encoded file lacks %q", want)
		}
	}
}

func TestBareDecimalsAreExact(t *testing.T) {
	src := strings.Replace(base, `fineness = "0.9999"`, `fineness = 0.99990000000000000001`, 1)
	src = strings.Replace(src, `amount = "100.50"`, `amount = 1_000`, 1)
	p, err := Decode("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Holdings[1].Fineness.String(); got != "0.99990000000000000001" {
		t.Errorf("fineness %s: a bare decimal lost digits", got)
	}
	if got := p.Holdings[0].Amount.String(); got != "1000" {
		t.Errorf("amount %s", got)
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	p := Demo(testNow)
	p.Holdings[0].Sats = -1
	if _, err := Encode(p); err == nil {
		t.Fatal("Encode wrote a portfolio with negative sats")
	}
}

// base is a small valid file; each bad-input case edits one line of it.
const base = `schema = 1

[settings]
unit = "EUR"

[[custodian]]
id = "bank"
name = "Bank"
kind = "bank"
jurisdiction = "DE"

[[holding]]
id = "eur"
kind = "cash"
custodian = "bank"
currency = "EUR"
amount = "100.50"

[[holding]]
id = "coins"
kind = "gold"
custodian = "bank"
weight = "1"
weight_unit = "oz"
fineness = "0.9999"
pieces = 3
form = "coin"

[[holding.lot]]
date = 2020-01-02
quantity = "3"
cost = "4000"
cost_currency = "EUR"

[[price]]
asset = "XAU"
value = "4000"
currency = "USD"
time = 2026-11-20T16:00:00Z

[[fx]]
base = "USD"
quote = "EUR"
rate = "0.86"
time = 2026-11-20T16:00:00Z
`

func TestBaseFileIsValid(t *testing.T) {
	p, err := Decode("p.toml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Holdings) != 2 || len(p.Holdings[1].Lots) != 1 || p.Holdings[1].Pieces != 3 {
		t.Fatalf("decoded %+v", p.Holdings)
	}
}

func TestBadInputNamesFileLineField(t *testing.T) {
	cases := []struct {
		name string
		from string
		to   string
		want string // substring of the error
		line int
	}{
		{"unknown currency", `currency = "EUR"`, `currency = "EUX"`, `p.toml:16: holding "eur": currency: unknown currency "EUX"`, 16},
		{"negative quantity", `amount = "100.50"`, `amount = "-3"`, `p.toml:17: holding "eur": amount: must not be negative`, 17},
		{"duplicate id", `id = "coins"`, `id = "eur"`, `p.toml:20: holding "eur": id: duplicate ID`, 20},
		{"price without time", "time = 2026-11-20T16:00:00Z\n\n[[fx]]", "\n[[fx]]", `p.toml:35: price #1: time: is required`, 35},
		{"bad fineness", `fineness = "0.9999"`, `fineness = "1.2"`, `p.toml:25: holding "coins": fineness: must be above 0 and at most 1`, 25},
		{"not a decimal", `fineness = "0.9999"`, `fineness = "0,9999"`, `p.toml:25`, 25},
		{"bad lot", `quantity = "3"`, `quantity = "0"`, `p.toml:31: holding #2 lot #1: quantity: must be greater than zero`, 31},
		{"unknown custodian", "custodian = \"bank\"\nweight", "custodian = \"vault\"\nweight", `p.toml:22: holding "coins": custodian: no custodian with ID "vault"`, 22},
		{"syntax", `name = "Bank"`, `name = "Bank`, `p.toml:8:`, 8},
		{"unknown field", `pieces = 3`, `peices = 3`, `p.toml:26: holding.peices: unknown field`, 26},
		{"bad country", `jurisdiction = "DE"`, `jurisdiction = "XY"`, `p.toml:10: custodian "bank": jurisdiction: unknown country "XY"`, 10},
		{"newer schema", `schema = 1`, `schema = 9`, `p.toml:1: settings: schema: schema 9 is newer`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.from) {
				t.Fatalf("case does not apply: %q not in base", c.from)
			}
			src := strings.Replace(base, c.from, c.to, 1)
			_, err := Decode("p.toml", []byte(src))
			if err == nil {
				t.Fatal("decoded a bad file without error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, c.want)
			}
			if es := AsErrors(err); es != nil && es[0].Line != c.line {
				t.Errorf("line %d, want %d", es[0].Line, c.line)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(base))
	f.Add(DemoSource())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode("f.toml", data)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same file.
		out, err := Encode(p)
		if err != nil {
			t.Fatalf("valid portfolio did not encode: %v", err)
		}
		q, err := Decode("f.toml", out)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		again, _ := Encode(q)
		if !bytes.Equal(out, again) {
			t.Fatal("unstable round trip")
		}
	})
}

func BenchmarkDecode1000(b *testing.B) {
	data, err := Encode(Generate(1000, 1, testNow))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("p.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckID(t *testing.T) {
	for id, ok := range map[string]bool{"a": true, "btc-ledger": true, "x.y_z-1": true, "0abc": true,
		"": false, "-a": false, ".a": false, "A": false, "a b": false, "é": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false} {
		if got := CheckID(id) == nil; got != ok {
			t.Errorf("CheckID(%q) ok=%v, want %v", id, got, ok)
		}
	}
}
