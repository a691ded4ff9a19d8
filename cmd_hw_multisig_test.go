package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// testnetVault serves two simulated Ledgers (Bitcoin Test; Speculos'
// default seed and the BIP 84 vector's) and returns their URIs and the
// descriptor of a 2-of-3 wsh(sortedmulti) of their BIP 48 keys and a key
// kept offline.
func testnetVault(t *testing.T) ([]string, string) {
	t.Helper()
	var uris, keys []string
	for _, mn := range []string{"", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"} {
		addr, _ := simtest.Ledger(t, simledger.Options{Mnemonic: mn, Network: &chaincfg.TestNet3Params})
		uri := "speculos:" + addr
		var x hwXpubJSON
		if err := json.Unmarshal(runCLI(t, "hw", "xpub", "m/48h/1h/0h/2h", "--device", uri, "--json"), &x); err != nil {
			t.Fatal(err)
		}
		uris, keys = append(uris, uri), append(keys, x.Key+"/<0;1>/*")
	}
	offline, _ := hdkeychain.NewMaster(bytes.Repeat([]byte{7}, 32), &chaincfg.TestNet3Params)
	opub, _ := offline.ECPubKey()
	acct := offline
	for _, s := range []uint32{48, 1, 0, 2} {
		acct, _ = acct.Derive(hdkeychain.HardenedKeyStart + s)
	}
	acctPub, _ := acct.Neuter()
	fp := btcutil.Hash160(opub.SerializeCompressed())[:4]
	keys = append(keys, "["+hex.EncodeToString(fp)+"/48h/1h/0h/2h]"+acctPub.String()+"/<0;1>/*")
	return uris, "wsh(sortedmulti(2," + strings.Join(keys, ",") + "))"
}

// TestHWMultisig registers a 2-of-3 (two simulated Ledgers of other seeds
// and an offline key) on both devices through the CLI, checks that the
// registrations are kept in the portfolio, that "hw address" uses them, and
// that "hw sign" on each device gives a PSBT that finalizes and verifies.
func TestHWMultisig(t *testing.T) {
	dir := t.TempDir()
	uris, desc := testnetVault(t)
	m, err := descriptor.ParseMultisig(desc, descriptor.Testnet)
	if err != nil {
		t.Fatal(err)
	}

	// Not registered yet: hw address says what to do.
	if _, err := runCLIErr(t, "--data-dir", dir, "hw", "address", "--device", uris[0], "--descriptor", desc, "--index", "0"); err == nil ||
		!strings.Contains(err.Error(), "hw register") {
		t.Fatalf("unregistered: %v", err)
	}
	for _, uri := range uris {
		var r hwRegisterJSON
		if err := json.Unmarshal(runCLI(t, "--data-dir", dir, "hw", "register", "--device", uri, "--descriptor", desc, "--name", "Family vault", "--json"), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Registration) != 64 || r.Descriptor != m.String() {
			t.Fatalf("register: %+v", r)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "portfolio.toml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := portfolio.Decode("portfolio.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Registrations) != 2 || p.Registration(m.String(), "f5acc2fd") == nil || p.Registration(m.String(), "73c5da0a") == nil {
		t.Fatalf("registrations kept: %+v", p.Registrations)
	}

	want, _ := m.Derive(true, 2)
	for _, uri := range uris {
		var a hwAddressJSON
		if err := json.Unmarshal(runCLI(t, "--data-dir", dir, "hw", "address", "--device", uri, "--descriptor", desc, "--index", "2", "--change", "--json"), &a); err != nil {
			t.Fatal(err)
		}
		if a.Address != want.Address || !a.Verified || !strings.HasSuffix(a.Path, "/48h/1h/0h/2h/1/2") {
			t.Fatalf("address %+v, want %s", a, want.Address)
		}
	}

	// A PSBT spending receive/0, as a wallet builds it; signed by each.
	at, _ := m.Derive(false, 0)
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{5}}})
	prev.AddTxOut(wire.NewTxOut(300_000, at.PkScript))
	pkt, err := psbt.New([]*wire.OutPoint{{Hash: prev.TxHash()}}, []*wire.TxOut{wire.NewTxOut(290_000, want.PkScript)}, 2, 0, []uint32{0xfffffffd})
	if err != nil {
		t.Fatal(err)
	}
	in := &pkt.Inputs[0]
	in.NonWitnessUtxo, in.WitnessUtxo, in.WitnessScript = prev, prev.TxOut[0], at.WitnessScript
	for _, k := range at.Keys {
		in.Bip32Derivation = append(in.Bip32Derivation, &psbt.Bip32Derivation{PubKey: k.PubKey,
			MasterKeyFingerprint: bits.ReverseBytes32(uint32(k.Origin.Fingerprint[0])<<24 | uint32(k.Origin.Fingerprint[1])<<16 | uint32(k.Origin.Fingerprint[2])<<8 | uint32(k.Origin.Fingerprint[3])),
			Bip32Path:            k.Origin.Path})
	}
	file := filepath.Join(t.TempDir(), "vault.psbt")
	if err := wallet.WritePSBTFile(file, pkt, wallet.Base64); err != nil {
		t.Fatal(err)
	}
	out := string(runCLI(t, "--data-dir", dir, "hw", "sign", file, "--device", uris[0]))
	if !strings.Contains(out, "more signatures needed") {
		t.Fatalf("first signer: %s", out)
	}
	final := file + ".final"
	out = string(runCLI(t, "--data-dir", dir, "hw", "sign", wallet.SignedPSBTPath(file), "--device", uris[1], "-o", final))
	if !strings.Contains(out, "complete") {
		t.Fatalf("second signer: %s", out)
	}
	runCLI(t, "wallet", "psbt", "finalize", final) // checks every input with the script engine
	signed, err := wallet.ReadPSBTFile(final)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.Extract(signed); err != nil {
		t.Fatal(err)
	}
}
