package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// multisigFixture adds wallet "vault", a testnet 2-of-3 wsh(sortedmulti)
// of two simulated Ledgers and an offline key, to a portfolio in a
// temporary directory, and caches a sync in which its receive address 0
// holds 1,000,000 sat. It returns the directory, the devices' URIs and the
// wallet's descriptor.
func multisigFixture(t *testing.T) (string, []string, *descriptor.Multisig) {
	t.Helper()
	isolateXDG(t)
	dir := t.TempDir()
	uris, desc := testnetVault(t)
	m, err := descriptor.ParseMultisig(desc, descriptor.Testnet)
	if err != nil {
		t.Fatal(err)
	}
	out := string(runCLI(t, "--data-dir", dir, "wallet", "add", "--id", "vault", "--name", "Family vault", "--descriptor", desc, "--network", "testnet"))
	if !strings.Contains(out, "2-of-3 wsh sortedmulti") {
		t.Fatalf("wallet add: %s", out)
	}
	w, err := service.Open(portfolio.WalletConfig{ID: "vault", Descriptor: m.String(), Network: "testnet"})
	if err != nil {
		t.Fatal(err)
	}
	at, _ := m.Derive(false, 0)
	if _, err := service.SyncWith(context.Background(), w, newOneTxSource(at.PkScript), nil, nil); err != nil {
		t.Fatal(err)
	}
	return dir, uris, m
}

// TestWalletMultisigCLI runs a multisig wallet through the command line:
// add, receive, send signed by one cosigner (refused until the device is
// registered), the second cosigner's turn with "wallet sign", and every
// export format read back to the same wallet.
func TestWalletMultisigCLI(t *testing.T) {
	dir, uris, m := multisigFixture(t)
	const payee = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"

	var r receiveJSON
	if err := json.Unmarshal(runCLI(t, "--data-dir", dir, "wallet", "receive", "vault", "--json"), &r); err != nil {
		t.Fatal(err)
	}
	want, _ := m.Derive(false, 1)
	if r.Address != want.Address || r.Index != 1 || len(r.Paths) != 3 || !strings.HasSuffix(r.Paths[2], "/48h/1h/0h/2h/0/1") {
		t.Fatalf("receive %+v, want %s at index 1 with three paths", r, want.Address)
	}

	var addrs addressesJSON
	if err := json.Unmarshal(runCLI(t, "wallet", "addresses", "--descriptor", m.String(), "--network", "testnet", "--change", "--from", "2", "--count", "1", "--json"), &addrs); err != nil {
		t.Fatal(err)
	}
	change2, _ := m.Derive(true, 2)
	if len(addrs.Addresses) != 1 || addrs.Addresses[0].Address != change2.Address || strings.Count(addrs.Addresses[0].Path, "/48h/1h/0h/2h/1/2") != 3 {
		t.Fatalf("addresses %+v, want %s with three paths", addrs, change2.Address)
	}

	psbtFile := filepath.Join(t.TempDir(), "pay.psbt")
	send := []string{"--data-dir", dir, "wallet", "send", "vault", "--to", payee + ":400000", "--fee-rate", "2", "-o", psbtFile}
	if _, err := runCLIErr(t, append(send, "--sign-with", uris[0])...); err == nil || !strings.Contains(err.Error(), "hw register") {
		t.Fatalf("unregistered device: %v", err)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "hw", "register", "--device", uris[0], "--wallet", "nosuch"); err == nil || !strings.Contains(err.Error(), "no wallet") {
		t.Fatalf("register an unknown wallet: %v", err)
	}
	// By wallet ID (its name is what the device shows), and by descriptor.
	runCLI(t, "--data-dir", dir, "hw", "register", "--device", uris[0], "--wallet", "vault")
	runCLI(t, "--data-dir", dir, "hw", "register", "--device", uris[1], "--name", "Family vault", "--descriptor",
		strings.TrimSpace(string(runCLI(t, "--data-dir", dir, "wallet", "export", "vault"))))
	var res sendJSON
	if err := json.Unmarshal(runCLI(t, append(send, "--sign-with", uris[0], "--json")...), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Signed || res.Complete || res.Signatures != 1 || res.Broadcast {
		t.Fatalf("first cosigner: %+v", res)
	}
	p, err := wallet.ReadPSBTFile(psbtFile)
	if err != nil {
		t.Fatal(err)
	}
	if have, need, ok := wallet.MultisigSignatures(&p.Inputs[0]); !ok || have != 1 || need != 2 {
		t.Fatalf("the PSBT holds %d of %d signatures", have, need)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "sign", "vault", psbtFile, "--sign-with", uris[0]); err == nil ||
		!strings.Contains(err.Error(), "signed every input already") {
		t.Fatalf("the same cosigner again: %v", err)
	}
	final := filepath.Join(t.TempDir(), "final.psbt")
	var res2 sendJSON
	if err := json.Unmarshal(runCLI(t, "--data-dir", dir, "wallet", "sign", "vault", psbtFile, "--sign-with", uris[1], "-o", final, "--json"), &res2); err != nil {
		t.Fatal(err)
	}
	if !res2.Complete || res2.Signatures != 1 || res2.FeeSats != res.FeeSats {
		t.Fatalf("second cosigner: %+v (first %+v)", res2, res)
	}
	fp, err := wallet.ReadPSBTFile(final)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := wallet.Extract(fp)
	if err != nil {
		t.Fatal(err)
	}
	if tx.TxHash().String() != res2.TxID || len(tx.TxIn[0].Witness) != 4 {
		t.Fatalf("transaction %s, witness of %d items", tx.TxHash(), len(tx.TxIn[0].Witness))
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "sign", "vault", final, "--sign-with", uris[1]); err == nil ||
		!strings.Contains(err.Error(), "signed already") {
		t.Fatalf("signing a complete PSBT: %v", err)
	}

	// Signed apart by each cosigner, then combined and finalized.
	unsigned := filepath.Join(t.TempDir(), "apart.psbt")
	runCLI(t, "--data-dir", dir, "wallet", "send", "vault", "--to", payee+":300000", "--fee-rate", "2", "-o", unsigned)
	var parts []string
	for i, uri := range uris {
		part := unsigned + fmt.Sprint(i)
		runCLI(t, "--data-dir", dir, "hw", "sign", unsigned, "--device", uri, "-o", part)
		parts = append(parts, part)
	}
	combined := unsigned + ".combined"
	runCLI(t, append(append([]string{"wallet", "psbt", "combine"}, parts...), "-o", combined)...)
	if out := string(runCLI(t, "wallet", "psbt", "finalize", combined)); !strings.Contains(out, "finalized") {
		t.Fatalf("finalize the combined PSBT: %s", out)
	}
	if cp, err := wallet.ReadPSBTFile(combined); err != nil {
		t.Fatal(err)
	} else if _, err := wallet.Extract(cp); err != nil {
		t.Fatalf("the combined transaction: %v", err)
	}

	// Exports read back to the same wallet.
	export := func(format string) string {
		return string(runCLI(t, "--data-dir", dir, "wallet", "export", "vault", "--format", format))
	}
	if got := strings.TrimSpace(export("descriptor")); got != m.String() {
		t.Errorf("descriptor export %s, want %s", got, m)
	}
	if chains := strings.Fields(export("chains")); len(chains) != 2 || !strings.Contains(chains[0], "/0/*,") || !strings.Contains(chains[1], "/1/*,") {
		t.Errorf("chains export %q", chains)
	}
	if b, err := descriptor.ParseBSMS(export("bsms"), descriptor.Testnet); err != nil || b.String() != m.String() {
		t.Errorf("bsms export read back as %v, %v", b, err)
	}
	if c, name, err := descriptor.ParseColdcard(export("coldcard"), descriptor.Testnet); err != nil || c.String() != m.String() || name != "Family vault" {
		t.Errorf("coldcard export read back as %v %q, %v", c, name, err)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "export", "vault", "--format", "sparrow"); err == nil || !strings.Contains(err.Error(), "want descriptor") {
		t.Errorf("unknown format: %v", err)
	}

	// The setup files add the same wallet back.
	files := t.TempDir()
	for _, format := range []string{"bsms", "coldcard"} {
		f := filepath.Join(files, "vault."+format)
		runCLI(t, "--data-dir", dir, "wallet", "export", "vault", "--format", format, "-o", f)
		runCLI(t, "--data-dir", dir, "wallet", "add", "--id", "from-"+format, "--setup-file", f, "--network", "testnet")
	}
	var list walletsListJSON
	if err := json.Unmarshal(runCLI(t, "--data-dir", dir, "wallet", "list", "--json"), &list); err != nil {
		t.Fatal(err)
	}
	for _, w := range list.Wallets {
		if w.Descriptor != m.String() {
			t.Errorf("wallet %s: %s, want %s", w.ID, w.Descriptor, m)
		}
		if w.ID == "from-coldcard" && w.Name != "Family vault" {
			t.Errorf("the Coldcard file's name was not kept: %q", w.Name)
		}
	}
	if len(list.Wallets) != 3 {
		t.Errorf("%d wallets, want 3", len(list.Wallets))
	}
	bad := filepath.Join(files, "bad.bsms")
	record := strings.Split(export("bsms"), "\n")
	other, _ := m.Derive(false, 1)
	record[3] = other.Address
	if err := os.WriteFile(bad, []byte(strings.Join(record, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "add", "--id", "bad", "--setup-file", bad, "--network", "testnet"); err == nil ||
		!strings.Contains(err.Error(), "line 4") {
		t.Errorf("a record whose first address is not the keys': %v", err)
	}
}

// TestWalletAddMultisigErrors: a bad multisig descriptor is refused with
// what is wrong and where, and nothing is written.
func TestWalletAddMultisigErrors(t *testing.T) {
	dir := t.TempDir()
	_, a := cosignerKey(t, 1)
	fpr, b := cosignerKey(t, 2)
	good := "[" + fpr + "/48h/1h/0h/2h]" + b + "/<0;1>/*"
	for _, c := range []struct{ desc, want string }{
		{"wsh(sortedmulti(3," + good + "," + good + "))", "threshold 3 of 2"},
		{"wsh(sortedmulti(1," + a + "/<0;1>/*," + good + "))", "needs its origin"},
		{"wsh(sortedmulti(1," + good + "," + strings.Replace(good, "/<0;1>/*", "/0/*", 1) + "))", "must end in /<a;b>/*"},
		{"wsh(pkh(" + good + "))", "not multi() or sortedmulti()"},
		{"wsh(sortedmulti(1," + good + "))#abcdefgh", "checksum"},
	} {
		_, err := runCLIErr(t, "--data-dir", dir, "wallet", "add", "--id", "v", "--descriptor", c.desc, "--network", "testnet")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "multisig") {
			t.Errorf("%s: %v, want %q", c.desc, err, c.want)
		}
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "add", "--id", "v", "--descriptor", "wsh(sortedmulti(1,"+good+"))", "--network", "mainnet"); err == nil ||
		!strings.Contains(err.Error(), "network") {
		t.Errorf("testnet keys on mainnet: %v", err)
	}
	if out := string(runCLI(t, "--data-dir", dir, "wallet", "list")); !strings.Contains(out, "No wallets") {
		t.Errorf("a refused wallet was written: %s", out)
	}
}

// cosignerKey is the BIP 48 account key of a seed of repeated bytes, on
// testnet, and its master's fingerprint.
func cosignerKey(t *testing.T, b byte) (string, string) {
	t.Helper()
	m, _ := hdkeychain.NewMaster(bytes.Repeat([]byte{b}, 32), &chaincfg.TestNet3Params)
	pub, _ := m.ECPubKey()
	k := m
	for _, s := range []uint32{48, 1, 0, 2} {
		k, _ = k.Derive(hdkeychain.HardenedKeyStart + s)
	}
	n, _ := k.Neuter()
	return hex.EncodeToString(btcutil.Hash160(pub.SerializeCompressed())[:4]), n.String()
}
