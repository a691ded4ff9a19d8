package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/rogpeppe/go-internal/testscript"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// The account keys of Speculos' default seed on "Bitcoin Test" (the same
// values hw/sim/ledger's tests check).
const (
	simTpub84 = "tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P"
	simDesc84 = "wpkh([f5acc2fd/84h/1h/0h]" + simTpub84 + "/<0;1>/*)"
)

// startSim serves a simulated Ledger (Speculos' seed, "Bitcoin Test") on
// 127.0.0.1 for the test and returns its address.
func startSim(t testing.TB, faults simledger.Faults) (string, *simledger.Device) {
	t.Helper()
	return simtest.Ledger(t, simledger.Options{Network: &chaincfg.TestNet3Params, Faults: faults})
}

// runHW runs hardfolio in this process and returns its output, error
// stream and error.
func runHW(args ...string) (string, string, error) {
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

// checkSpeculosSeed checks through "hw fingerprint" and "hw xpub" that the
// device at uri holds Speculos' seed: its fingerprint and its BIP 84
// testnet account key.
func checkSpeculosSeed(t *testing.T, uri string) {
	t.Helper()
	if got := strings.TrimSpace(string(runCLI(t, "hw", "fingerprint", "--device", uri))); got != "f5acc2fd" {
		t.Errorf("fingerprint %q, want f5acc2fd", got)
	}
	if got := strings.TrimSpace(string(runCLI(t, "hw", "xpub", "m/84h/1h/0h", "--device", uri))); got != simTpub84 {
		t.Errorf("xpub m/84h/1h/0h = %s, want %s", got, simTpub84)
	}
}

func TestHWAgainstSimulator(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{})
	uri := "speculos:" + addr

	checkSpeculosSeed(t, uri)

	// Addresses from the device against wallet/descriptor's derivation.
	d, err := descriptor.Parse(simDesc84, descriptor.Testnet)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []struct {
		change bool
		index  uint32
	}{{false, 0}, {false, 3}, {true, 17}} {
		want, err := d.Derive(at.change, at.index)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"hw", "address", "--device", uri, "--descriptor", simDesc84, "--index", fmt.Sprint(at.index)}
		if at.change {
			args = append(args, "--change")
		}
		if got := strings.TrimSpace(string(runCLI(t, args...))); got != want.Address {
			t.Errorf("address %v/%d: %s, descriptor derives %s", at.change, at.index, got, want.Address)
		}
	}

	// A descriptor of another seed is refused before anything is shown.
	other := strings.Replace(simDesc84, "f5acc2fd", "73c5da0a", 1)
	if _, _, err := runHW("hw", "address", "--device", uri, "--descriptor", other, "--index", "0"); !errors.Is(err, device.ErrNotOurs) {
		t.Errorf("address of another seed: %v, want ErrNotOurs", err)
	}

	list := string(runCLI(t, "hw", "list", "--speculos", addr))
	if !regexp.MustCompile(`(?m)^speculos:` + regexp.QuoteMeta(addr) + ` +Ledger +Speculos +Bitcoin Test +2\.4\.6 +f5acc2fd$`).MatchString(list) {
		t.Errorf("hw list does not show the simulator:\n%s", list)
	}

	udev := string(runCLI(t, "hw", "udev"))
	for _, sub := range []string{"hidraw", "usb"} {
		rule := `SUBSYSTEM=="` + sub + `", ATTRS{idVendor}=="2c97", MODE="0660", GROUP="plugdev", TAG+="uaccess"`
		if !strings.Contains(udev, rule+"\n") {
			t.Errorf("hw udev lacks %s\n%s", rule, udev)
		}
	}
}

// TestHWErrorsHaveHints: a device error reaches the user with its hint.
func TestHWErrorsHaveHints(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{Dashboard: true})
	_, _, err := runHW("hw", "fingerprint", "--device", "speculos:"+addr)
	if !errors.Is(err, apdu.ErrWrongApp) {
		t.Fatalf("on the dashboard: %v, want ErrWrongApp", err)
	}
	if !strings.Contains(err.Error(), apdu.ErrWrongApp.Hint()) {
		t.Errorf("error %q lacks the hint %q", err, apdu.ErrWrongApp.Hint())
	}
}

// TestHWJSONKeysDocumented: the hw commands' JSON keys are those
// docs/cli.md documents, both ways.
func TestHWJSONKeysDocumented(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{})
	uri := "speculos:" + addr
	commands := map[string][]string{
		"list":        {"hw", "list", "--speculos", addr, "--speculos", "127.0.0.1:1"},
		"fingerprint": {"hw", "fingerprint", "--device", uri},
		"xpub":        {"hw", "xpub", "m/84h/1h/0h", "--device", uri},
		"address":     {"hw", "address", "--device", uri, "--descriptor", simDesc84, "--index", "1"},
		"register": {"--data-dir", t.TempDir(), "hw", "register", "--device", uri, "--name", "Vault",
			"--descriptor", "wsh(sortedmulti(1,[f5acc2fd/48h/1h/0h/2h]" + simXpub(t, uri, "m/48h/1h/0h/2h") + "/<0;1>/*,[73c5da0a/84h/1h/0h]" + simTpub84 + "/<0;1>/*))"},
	}
	docs := documentedKeys(t, regexp.MustCompile("^#+ `hw ([a-z ]+?)(?: [A-Z.]+)* --json`"))
	for name := range docs {
		if commands[name] == nil {
			t.Errorf("docs/cli.md documents `hw %s --json`, which this test does not run", name)
		}
	}
	for name, args := range commands {
		if docs[name] == nil {
			t.Errorf("docs/cli.md has no section for `hw %s --json`", name)
			continue
		}
		emitted := map[string]bool{}
		jsonKeys(t, runCLI(t, append(args, "--json")...), emitted)
		for k := range emitted {
			if !docs[name][k] {
				t.Errorf("hw %s --json emits %q, which docs/cli.md does not document", name, k)
			}
		}
		for k := range docs[name] {
			if !emitted[k] {
				t.Errorf("docs/cli.md documents %q for hw %s --json, which it does not emit", k, name)
			}
		}
	}
}

// testPSBT builds a PSBT spending two coins of the simulator's seed, one
// wpkh (m/84'/1'/0'/0/0) and one tr (m/86'/1'/0'/1/2), with the key
// derivations a wallet puts in, and returns it with the coins spent.
func testPSBT(t *testing.T, uri string) (*psbt.Packet, []*wire.TxOut) {
	t.Helper()
	ctx := context.Background()
	dev, err := device.NewHub().Open(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	child := func(path []uint32) []byte {
		xpub, err := dev.Xpub(ctx, path[:3], false)
		if err != nil {
			t.Fatal(err)
		}
		k, err := hdkeychain.NewKeyFromString(xpub)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range path[3:] {
			if k, err = k.Derive(s); err != nil {
				t.Fatal(err)
			}
		}
		pub, err := k.ECPubKey()
		if err != nil {
			t.Fatal(err)
		}
		return pub.SerializeCompressed()
	}
	h := device.Hardened
	wpkhPath := []uint32{84 | h, 1 | h, 0 | h, 0, 0}
	trPath := []uint32{86 | h, 1 | h, 0 | h, 1, 2}
	wpkhKey, trKey := child(wpkhPath), child(trPath)

	wpkhAddr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(wpkhKey), &chaincfg.TestNet3Params)
	if err != nil {
		t.Fatal(err)
	}
	wpkhScript, _ := txscript.PayToAddrScript(wpkhAddr)
	internal := trKey[1:]
	trScript, err := trOutputScript(internal)
	if err != nil {
		t.Fatal(err)
	}

	// The previous transaction paying both coins.
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{1}, Index: 0}})
	prev.AddTxOut(wire.NewTxOut(50_000, wpkhScript))
	prev.AddTxOut(wire.NewTxOut(70_000, trScript))
	prevHash := prev.TxHash()

	dest, _ := btcutil.DecodeAddress("tb1qxvvwqnawdsf2ljcqn35u64l9kfgy4e45v3uamu", &chaincfg.TestNet3Params)
	destScript, _ := txscript.PayToAddrScript(dest)
	p, err := psbt.New([]*wire.OutPoint{{Hash: prevHash, Index: 0}, {Hash: prevHash, Index: 1}},
		[]*wire.TxOut{wire.NewTxOut(119_000, destScript)}, 2, 0, []uint32{0xfffffffd, 0xfffffffd})
	if err != nil {
		t.Fatal(err)
	}
	fpr := uint32(0xfdc2acf5) // f5acc2fd as PSBTs store it (little-endian)
	p.Inputs[0].NonWitnessUtxo = prev
	p.Inputs[0].WitnessUtxo = prev.TxOut[0]
	p.Inputs[0].Bip32Derivation = []*psbt.Bip32Derivation{{PubKey: wpkhKey, MasterKeyFingerprint: fpr, Bip32Path: wpkhPath}}
	p.Inputs[1].WitnessUtxo = prev.TxOut[1]
	p.Inputs[1].TaprootInternalKey = internal
	p.Inputs[1].TaprootBip32Derivation = []*psbt.TaprootBip32Derivation{{XOnlyPubKey: internal, MasterKeyFingerprint: fpr, Bip32Path: trPath}}
	return p, prev.TxOut
}

// TestHWSign signs a PSBT on the simulator through the CLI and checks the
// result with the script engine; the input file is never touched.
func TestHWSign(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{})
	uri := "speculos:" + addr
	p, prevOuts := testPSBT(t, uri)
	dir := t.TempDir()
	in := filepath.Join(dir, "pay.psbt")
	if err := wallet.WritePSBTFile(in, p, wallet.Base64); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(in)

	out, _, err := runHW("hw", "sign", in, "--device", uri)
	if after, _ := os.ReadFile(in); !bytes.Equal(after, orig) {
		t.Fatal("hw sign changed its input file")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "signed 2 of 2 inputs") {
		t.Errorf("output %q", out)
	}
	signed, err := wallet.ReadPSBTFile(filepath.Join(dir, "pay.signed.psbt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(signed.Inputs[0].PartialSigs) != 1 || len(signed.Inputs[1].TaprootKeySpendSig) == 0 {
		t.Fatalf("signatures not where BIP 174/371 put them: %d partial sigs, tap key sig %x",
			len(signed.Inputs[0].PartialSigs), signed.Inputs[1].TaprootKeySpendSig)
	}
	verifySigned(t, signed, prevOuts)

	// -o equal to the input is the one way to overwrite it.
	if _, _, err := runHW("hw", "sign", in, "--device", uri, "-o", in); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(in); bytes.Equal(after, orig) {
		t.Error("hw sign -o FILE did not write FILE")
	}
}

// verifySigned finalizes a signed PSBT and runs every input of its
// transaction through the script engine; prevOuts are the coins spent, in
// input order.
func verifySigned(t *testing.T, signed *psbt.Packet, prevOuts []*wire.TxOut) {
	t.Helper()
	if err := psbt.MaybeFinalizeAll(signed); err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Extract(signed)
	if err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, ti := range tx.TxIn {
		fetcher.AddPrevOut(ti.PreviousOutPoint, prevOuts[i])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range tx.TxIn {
		vm, err := txscript.NewEngine(prevOuts[i].PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prevOuts[i].Value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Errorf("input %d does not verify: %v", i, err)
		}
	}
}

// TestHWSignRefused: the user refusing leaves no output and says so.
func TestHWSignRefused(t *testing.T) {
	addr, dev := startSim(t, simledger.Faults{})
	uri := "speculos:" + addr
	p, _ := testPSBT(t, uri)
	dev.SetFaults(simledger.Faults{RejectNext: true})
	dir := t.TempDir()
	in := filepath.Join(dir, "pay.psbt")
	if err := wallet.WritePSBTFile(in, p, wallet.Binary); err != nil {
		t.Fatal(err)
	}
	_, _, err := runHW("hw", "sign", in, "--device", uri, "-o", filepath.Join(dir, "out.psbt"))
	if err == nil {
		t.Fatal("signing succeeded though the user refused")
	}
	if !errors.Is(err, apdu.ErrUserRejected) && !errors.Is(err, apdu.ErrWrongApp) {
		t.Errorf("refused: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "out.psbt")); !os.IsNotExist(serr) {
		t.Error("a refused hw sign wrote its output")
	}
}

// TestSimCmds runs "hardfolio sim ledger" and "hardfolio sim trezor"
// until their context ends and talks to each meanwhile.
func TestSimCmds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		uri     string // pattern of the --device URI printed
		warning string
	}{
		{"ledger", []string{"--network", "regtest"}, `speculos:127\.0\.0\.1:\d+`, simledger.Warning},
		{"trezor", []string{"--mnemonic", simledger.SpeculosMnemonic}, `trezor-udp:127\.0\.0\.1:\d+`, simtrezor.Warning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			var errOut bytes.Buffer
			cmd := newRootCmd()
			cmd.SetOut(pw)
			cmd.SetErr(&errOut)
			cmd.SetArgs(append([]string{"sim", tc.name, "--listen", "127.0.0.1:0"}, tc.args...))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- cmd.ExecuteContext(ctx); pw.Close() }()

			line, err := bufio.NewReader(pr).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, pr)
			m := regexp.MustCompile(`fingerprint f5acc2fd: --device (` + tc.uri + `) \(Ctrl-C stops it\)$`).FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				t.Fatalf("no device URI in %q", line)
			}
			if got := strings.TrimSpace(string(runCLI(t, "hw", "fingerprint", "--device", m[1]))); got != "f5acc2fd" {
				t.Errorf("fingerprint %q", got)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("sim %s did not stop when its context ended", tc.name)
			}
			if !strings.Contains(errOut.String(), tc.warning) {
				t.Errorf("no private-key warning on the error stream: %q", errOut.String())
			}
			if _, _, err := runHW("sim", tc.name, "--listen", "0.0.0.0:0"); err == nil {
				t.Errorf("sim %s listened on a non-loopback address", tc.name)
			}
			if _, _, err := runHW("sim", tc.name, "--network", "moon"); err == nil || !strings.Contains(err.Error(), "--network") {
				t.Errorf("sim %s --network moon: %v", tc.name, err)
			}
		})
	}
}

// trOutputScript is the BIP 86 output script of an x-only internal key.
func trOutputScript(internal []byte) ([]byte, error) {
	k, err := schnorr.ParsePubKey(internal)
	if err != nil {
		return nil, err
	}
	return txscript.PayToTaprootScript(txscript.ComputeTaprootKeyNoScript(k))
}

// TestHWScript runs the scripts in testdata/script/hw, which talk to a
// simulated Ledger that the "simledger" command starts in this process.
func TestHWScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script", "hw"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_DATA_HOME", filepath.Join(env.WorkDir, "xdg"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"simledger": cmdSimLedger,
		},
	})
}

// simledger VAR [dashboard] starts a simulated Ledger (Speculos' seed,
// "Bitcoin Test") on 127.0.0.1 and sets $VAR to its host:port. With
// "dashboard" it sits on its dashboard instead of the Bitcoin app.
func cmdSimLedger(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 || (len(args) == 2 && args[1] != "dashboard") {
		ts.Fatalf("usage: simledger VAR [dashboard]")
	}
	dev, _, err := simledger.New(simledger.Options{
		Network: &chaincfg.TestNet3Params,
		Faults:  simledger.Faults{Dashboard: len(args) == 2},
	})
	ts.Check(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	go dev.Serve(ln)
	ts.Defer(func() { dev.Close() })
	ts.Setenv(args[0], ln.Addr().String())
}

// simXpub reads the simulator's extended public key at path.
func simXpub(t *testing.T, uri, path string) string {
	t.Helper()
	out, _, err := runHW("hw", "xpub", path, "--device", uri)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}
