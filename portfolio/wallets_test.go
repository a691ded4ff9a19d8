package portfolio

import (
	"strconv"
	"strings"
	"testing"
)

const testDescriptor = "wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)"

func TestWalletRoundTripAndBalances(t *testing.T) {
	p := Demo(testNow)
	w := WalletConfig{ID: "ledger-84", Name: "Ledger segwit", Descriptor: testDescriptor, Network: "mainnet",
		BirthdayHeight: 800000, Birthday: AsOfDate(testNow), Backend: Backend{Kind: "electrum", Server: "ssl://127.0.0.1:50002", Proxy: "127.0.0.1:9050"}}
	q, err := p.WithWallet(w, false)
	if err != nil {
		t.Fatal(err)
	}
	i := q.HoldingIndex("btc-ledger")
	q.Holdings[i].Wallet = "ledger-84"
	data, err := Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode("p.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.WalletConfig("ledger-84"); got == nil || *got != w {
		t.Fatalf("wallet after round trip: %+v\nwant %+v", got, w)
	}
	if r.Holdings[i].Wallet != "ledger-84" {
		t.Error("holding lost its wallet")
	}
	s := r.WithWalletBalances(map[string]int64{"ledger-84": 42_000})
	if s.Holdings[i].Sats != 42_000 || r.Holdings[i].Sats == 42_000 {
		t.Errorf("balances: new %d, original %d", s.Holdings[i].Sats, r.Holdings[i].Sats)
	}
	if _, err := r.WithoutWallet("ledger-84"); err == nil || !strings.Contains(err.Error(), "btc-ledger") {
		t.Errorf("removed a wallet a holding uses: %v", err)
	}
}

func TestWalletValidation(t *testing.T) {
	p := Demo(testNow)
	cases := []struct {
		w   WalletConfig
		key string
	}{
		{WalletConfig{ID: "w", Network: "mainnet"}, "descriptor"},
		{WalletConfig{ID: "w", Descriptor: testDescriptor, Network: "mainnnet"}, "network"},
		{WalletConfig{ID: "w", Descriptor: testDescriptor, Network: "mainnet", Backend: Backend{Kind: "ftp", Server: "x"}}, "backend"},
		{WalletConfig{ID: "w", Descriptor: testDescriptor, Network: "mainnet", Backend: Backend{Kind: "node"}}, "server"},
		{WalletConfig{ID: "w", Descriptor: testDescriptor, Network: "mainnet", GapLimit: -1}, "gap_limit"},
		{WalletConfig{ID: "W", Descriptor: testDescriptor, Network: "mainnet"}, "id"},
	}
	for _, c := range cases {
		_, err := p.WithWallet(c.w, false)
		es := AsErrors(err)
		if len(es) == 0 || es[0].Key != c.key || es[0].Section != "wallet" {
			t.Errorf("%+v: error %v, want one on %s", c.w, err, c.key)
		}
	}
	q := p.Clone()
	q.Holdings[0].Wallet = "nope"
	if es := AsErrors(q.Validate()); len(es) == 0 || es[0].Key != "wallet" {
		t.Errorf("holding naming a missing wallet: %v", es)
	}
}

func TestRegistrationRoundTrip(t *testing.T) {
	p := Demo(testNow)
	r := Registration{Descriptor: "wsh(sortedmulti(2,...))#abcdefgh", Name: "Family vault", Fingerprint: "f5acc2fd", Data: strings.Repeat("ab", 32)}
	q, err := p.WithRegistration(r)
	if err != nil {
		t.Fatal(err)
	}
	// The same wallet on the same device replaces; another device adds.
	r2 := r
	r2.Data = strings.Repeat("cd", 32)
	if q, err = q.WithRegistration(r2); err != nil {
		t.Fatal(err)
	}
	r3 := r
	r3.Fingerprint = "73c5da0a"
	if q, err = q.WithRegistration(r3); err != nil {
		t.Fatal(err)
	}
	data, err := Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode("p.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Registrations) != 2 || *back.Registration(r.Descriptor, "f5acc2fd") != r2 || *back.Registration(r.Descriptor, "73c5da0a") != r3 {
		t.Fatalf("registrations after a round trip: %+v", back.Registrations)
	}

	bad := strings.Replace(string(data), `fingerprint = 'f5acc2fd'`, `fingerprint = 'F5ACC2FD'`, 1)
	_, err = Decode("p.toml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), "registration") || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("an upper-case fingerprint: %v", err)
	}
	line := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "F5ACC2FD") {
			line = i + 1
		}
	}
	if !strings.Contains(err.Error(), "p.toml:"+strconv.Itoa(line)+":") {
		t.Fatalf("error %q does not name line %d", err, line)
	}
}
