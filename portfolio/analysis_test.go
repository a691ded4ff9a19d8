package portfolio

import (
	"bytes"
	"strings"
	"testing"
)

// withAnalysis is the base file with an [analysis] section; lines 47-58.
const withAnalysis = base + `
[analysis]
other_proxy = "EQUITIES"

[analysis.proxies]
"VWCE.DE" = "EQUITIES"
"bond fund" = "TBILL"
VT = "EQUITIES"

[analysis.limits]
exchange = "0.05"
custodian = 0.30
uninsured = "0"
`

func TestAnalysisSectionRoundTrip(t *testing.T) {
	p, err := Decode("p.toml", []byte(withAnalysis))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Analysis
	if a.OtherProxy != "EQUITIES" || a.Proxies["VWCE.DE"] != "EQUITIES" || a.Proxies["bond fund"] != "TBILL" || len(a.Proxies) != 3 {
		t.Fatalf("analysis settings %+v", a)
	}
	if got := a.Limits[LimitCustodian].String(); got != "0.3" || len(a.Limits) != 3 || !a.Limits[LimitUninsured].IsZero() {
		t.Fatalf("limits %v", a.Limits)
	}
	out, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode("p.toml", out)
	if err != nil {
		t.Fatalf("decoding what Encode wrote: %v\n%s", err, out)
	}
	again, _ := Encode(q)
	if !bytes.Equal(out, again) {
		t.Fatalf("unstable round trip:\n%s\n---\n%s", out, again)
	}
	// Clone copies the maps: editing the copy leaves the original alone.
	c := p.Clone()
	c.Analysis.Proxies["VT"] = "AU"
	c.Analysis.Limits[LimitHome] = c.Analysis.Limits[LimitExchange]
	if p.Analysis.Proxies["VT"] != "EQUITIES" || len(p.Analysis.Limits) != 3 {
		t.Error("Clone shares the analysis maps")
	}
	// A portfolio without the section writes none.
	plain, _ := Decode("p.toml", []byte(base))
	if data, _ := Encode(plain); bytes.Contains(data, []byte("[analysis")) {
		t.Errorf("empty analysis section written:\n%s", data)
	}
}

func TestAnalysisSectionErrors(t *testing.T) {
	cases := []struct {
		name, from, to, want string
		line                 int
	}{
		{"unknown other proxy", `other_proxy = "EQUITIES"`, `other_proxy = "SP"`, `p.toml:48: analysis: other_proxy: unknown history asset "SP"`, 48},
		{"unknown proxy asset", `"bond fund" = "TBILL"`, `"bond fund" = "BONDS"`, `p.toml:52: analysis.proxies: bond fund: unknown history asset "BONDS"`, 52},
		{"share above one", `custodian = 0.30`, `custodian = 1.5`, `p.toml:57: analysis.limits: custodian: must be a share from 0 to 1`, 57},
		{"negative share", `exchange = "0.05"`, `exchange = "-0.05"`, `p.toml:56: analysis.limits: exchange: must be a share from 0 to 1`, 56},
		{"unknown limit", `uninsured = "0"`, `uninsurd = "0"`, `p.toml:58: analysis.limits: uninsurd: unknown limit: want one of asset_class`, 58},
		{"not a decimal", `exchange = "0.05"`, `exchange = "5%"`, `p.toml:56`, 56},
		{"unknown field", `other_proxy = "EQUITIES"`, `other = "EQUITIES"`, `p.toml:48: analysis.other: unknown field`, 48},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(withAnalysis, c.from) {
				t.Fatalf("case does not apply: %q", c.from)
			}
			_, err := Decode("p.toml", []byte(strings.Replace(withAnalysis, c.from, c.to, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, c.want)
			}
			if es := AsErrors(err); es != nil && es[0].Line != c.line {
				t.Errorf("line %d, want %d", es[0].Line, c.line)
			}
		})
	}
}
