package service_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// The BIP 84 test vector's account (mnemonic "abandon ... about").
const (
	bip84Zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	bip84Desc = "wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)"
)

func TestOpen(t *testing.T) {
	w, err := service.Open(portfolio.WalletConfig{ID: "cold", Descriptor: bip84Desc, Network: "mainnet", GapLimit: 30, BirthdayHeight: 800000})
	if err != nil {
		t.Fatal(err)
	}
	if w.ID != "cold" || w.GapLimit != 30 || w.BirthdayHeight != 800000 || !w.HasChange() || w.Net() != descriptor.Mainnet {
		t.Fatalf("Open = %+v", w)
	}
	a, err := w.Descriptor.Derive(false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Address != "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu" {
		t.Fatalf("first address %s", a.Address)
	}

	// A birthday given as a date starts the scan at the estimate; an
	// explicit height wins.
	day := time.Date(2023, 7, 24, 0, 0, 0, 0, time.UTC)
	w, err = service.Open(portfolio.WalletConfig{ID: "cold", Descriptor: bip84Desc, Network: "mainnet", Birthday: day})
	if err != nil {
		t.Fatal(err)
	}
	if want := wallet.EstimateHeight(descriptor.Mainnet, day); w.BirthdayHeight != want || want == 0 || want > 800000 {
		t.Errorf("birthday %s: height %d, want the estimate %d (block 800000 was mined that day)", day.Format(time.DateOnly), w.BirthdayHeight, want)
	}
	w, _ = service.Open(portfolio.WalletConfig{ID: "cold", Descriptor: bip84Desc, Network: "mainnet", Birthday: day, BirthdayHeight: 12})
	if w.BirthdayHeight != 12 {
		t.Errorf("explicit height lost: %d", w.BirthdayHeight)
	}

	sum, err := descriptor.Checksum(bip84Desc)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		cfg  portfolio.WalletConfig
		want []string
		is   error
	}{
		{"syntax", portfolio.WalletConfig{ID: "w1", Descriptor: "wpkh(nonsense)", Network: "mainnet"}, []string{`wallet "w1"`, "descriptor"}, nil},
		{"checksum", portfolio.WalletConfig{ID: "w2", Descriptor: bip84Desc + "#" + strings.Repeat("q", len(sum)), Network: "mainnet"}, []string{`wallet "w2"`, "checksum"}, descriptor.ErrChecksum},
		{"network", portfolio.WalletConfig{ID: "w3", Descriptor: bip84Desc, Network: "testnet"}, []string{`wallet "w3"`, "descriptor"}, descriptor.ErrNetwork},
		{"unknown network", portfolio.WalletConfig{ID: "w4", Descriptor: bip84Desc, Network: "moon"}, []string{`wallet "w4"`, "network"}, nil},
		{"empty", portfolio.WalletConfig{ID: "w5", Network: "mainnet"}, []string{`wallet "w5"`}, wallet.ErrNoDescriptor},
		{"zpub on testnet", portfolio.WalletConfig{ID: "w6", Descriptor: "wpkh(" + bip84Zpub + "/<0;1>/*)", Network: "regtest"}, []string{`wallet "w6"`}, descriptor.ErrNetwork},
	}
	for _, c := range bad {
		_, err := service.Open(c.cfg)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", c.name, err, s)
			}
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q is not %v", c.name, err, c.is)
		}
	}
}

func TestConnectErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		b    portfolio.Backend
		want string
	}{
		{portfolio.Backend{}, "no backend"},
		{portfolio.Backend{Kind: "node"}, "no server"},
		{portfolio.Backend{Kind: "carrier-pigeon", Server: "x"}, "unknown backend"},
		{portfolio.Backend{Kind: "esplora", Server: "http://127.0.0.1:1", Proxy: "http://127.0.0.1:8080"}, "SOCKS5"},
		{portfolio.Backend{Kind: "esplora", Server: "http://127.0.0.1:1", Proxy: "127.0.0.1"}, "host:port"},
	} {
		_, err := service.Connect(ctx, portfolio.WalletConfig{ID: "w", Descriptor: bip84Desc, Network: "mainnet", Backend: c.b})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `wallet "w"`) {
			t.Errorf("backend %+v: error %v, want one naming the wallet and saying %q", c.b, err, c.want)
		}
	}
	_, _, err := service.Sync(ctx, portfolio.WalletConfig{ID: "w", Descriptor: bip84Desc, Network: "mainnet"}, nil)
	if !errors.Is(err, service.ErrNoBackend) {
		t.Errorf("Sync without a backend: %v", err)
	}
}

func TestParseProxy(t *testing.T) {
	for in, want := range map[string]service.Proxy{
		"127.0.0.1:9050":                  {Addr: "127.0.0.1:9050"},
		"socks5://127.0.0.1:9050":         {Addr: "127.0.0.1:9050"},
		"socks5h://u:p@127.0.0.1:9150":    {Addr: "127.0.0.1:9150", User: "u", Password: "p"},
		" socks5://alice@127.0.0.1:9050 ": {Addr: "127.0.0.1:9050", User: "alice"},
	} {
		got, err := service.ParseProxy(in)
		if err != nil || *got != want {
			t.Errorf("ParseProxy(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if p, err := service.ParseProxy(""); p != nil || err != nil {
		t.Errorf("ParseProxy(\"\") = %v, %v", p, err)
	}
}

func TestFilePins(t *testing.T) {
	setCacheHome(t)
	path := service.PinsPath()
	if filepath.Base(path) != "pins.json" || filepath.Base(filepath.Dir(path)) != "hardfolio" {
		t.Fatalf("PinsPath = %s", path)
	}
	p, err := service.DefaultPins()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Get("a:50002"); ok {
		t.Fatal("pin in an empty store")
	}
	if err := p.Put("a:50002", "aa"); err != nil {
		t.Fatal(err)
	}
	// A second store (another process) adds its own; both survive.
	q, err := service.OpenPins(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Put("b:50002", "bb"); err != nil {
		t.Fatal(err)
	}
	if err := p.Put("c:50002", "cc"); err != nil {
		t.Fatal(err)
	}
	r, err := service.OpenPins(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Servers(), ","); got != "a:50002,b:50002,c:50002" {
		t.Fatalf("pins after three Puts: %s", got)
	}
	if fp, _ := r.Get("b:50002"); fp != "bb" {
		t.Fatalf("b pinned to %q", fp)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pin file: %v, mode %v", err, fi.Mode())
	}

	// A damaged file is an error naming it, never an empty store.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := service.OpenPins(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenPins of a damaged file: %v", err)
	}
}

func TestLoadStateWarning(t *testing.T) {
	setCacheHome(t)
	cfg := portfolio.WalletConfig{ID: "cold", Descriptor: bip84Desc, Network: "mainnet"}
	st, warning, err := service.LoadState(cfg)
	if err != nil || warning != nil || st.Balance().Total() != 0 {
		t.Fatalf("LoadState without a cache: %v, %v", warning, err)
	}
	path, err := service.CachePath("cold")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, warning, err = service.LoadState(cfg)
	if err != nil || st == nil || !errors.Is(warning, wallet.ErrCacheDiscarded) || !strings.Contains(warning.Error(), `wallet "cold"`) {
		t.Fatalf("LoadState of a damaged cache: warning %v, err %v", warning, err)
	}
	p := portfolio.Empty("USD")
	p.Wallets = []portfolio.WalletConfig{cfg}
	if b := service.Balances(p); len(b) != 0 {
		t.Fatalf("Balances with a damaged cache: %v", b)
	}
}
