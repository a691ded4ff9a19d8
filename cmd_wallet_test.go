package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/adrg/xdg"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// The BIP 84 test vector's account 0 ("abandon ... about").
const bip84Desc = "wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)#qf45pmyh"

// oneTxSource is a chain.Source whose chain holds one transaction paying
// 1,000,000 sat to one script at height 90, the tip being at 100.
type oneTxSource struct {
	script []byte
	tx     *wire.MsgTx
}

func newOneTxSource(script []byte) *oneTxSource {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{1}, Index: 0}, SignatureScript: []byte{0x51}})
	tx.AddTxOut(wire.NewTxOut(1_000_000, script))
	return &oneTxSource{script: script, tx: tx}
}

func (s *oneTxSource) Tip(context.Context) (chain.BlockRef, error) {
	return chain.BlockRef{Height: 100, Hash: chainhash.Hash{100}}, nil
}

func (s *oneTxSource) History(_ context.Context, scripts [][]byte, _ int32, _ chan<- chain.Progress) ([][]chain.TxRef, error) {
	out := make([][]chain.TxRef, len(scripts))
	for i, sc := range scripts {
		if bytes.Equal(sc, s.script) {
			out[i] = []chain.TxRef{{TxID: s.tx.TxHash(), Height: 90, Block: chainhash.Hash{90}}}
		}
	}
	return out, nil
}

func (s *oneTxSource) Transactions(_ context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	out := make([]*wire.MsgTx, len(ids))
	for i := range ids {
		out[i] = s.tx
	}
	return out, nil
}

func (s *oneTxSource) FeeRate(context.Context, int) (float64, error) {
	return 0, chain.ErrNoFeeEstimate
}
func (s *oneTxSource) Broadcast(context.Context, *wire.MsgTx) (chainhash.Hash, error) {
	return chainhash.Hash{}, chain.ErrRejected
}
func (s *oneTxSource) Close() error { return nil }

// walletFixture makes a portfolio in a temporary directory with wallet
// "cold" (the BIP 84 vector, mainnet) whose cache holds a sync against
// oneTxSource, and points the cache and label directories there too.
func walletFixture(t *testing.T) string {
	t.Helper()
	isolateXDG(t)
	dir := t.TempDir()
	cfg := portfolio.WalletConfig{ID: "cold", Descriptor: bip84Desc, Network: "mainnet"}
	runCLI(t, "--data-dir", dir, "wallet", "add", "--id", "cold", "--descriptor", bip84Desc, "--network", "mainnet")
	w, err := service.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.Descriptor.Derive(false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.SyncWith(context.Background(), w, newOneTxSource(d.Script), nil, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// isolateXDG points the cache and data directories (wallet caches,
// labels) at temporary ones for the test.
func isolateXDG(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(t.TempDir(), "data"))
	xdg.Reload()
	t.Cleanup(xdg.Reload)
}

// runCLIErr runs hardfolio in this process and returns its output and
// error.
func runCLIErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	now, _ := time.Parse(time.RFC3339, testNow)
	cmd := newRootCmdAt(func() time.Time { return now })
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String() + errOut.String(), err
}

func TestWalletSendOffline(t *testing.T) {
	dir := walletFixture(t)
	psbtFile := filepath.Join(t.TempDir(), "pay.psbt")
	const payee = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx:10000", "--fee-rate", "2"}, "testnet"},
		{[]string{"--to", payee + ":10000", "--fee-rate", "50"}, "--allow-high-fee"},
		{[]string{"--to", payee + ":10000", "--fee-rate", "2000"}, "fee too high"},
		{[]string{"--to", payee + ":5000000", "--fee-rate", "2"}, "insufficient funds"},
		{[]string{"--to", payee + ":abc", "--fee-rate", "2"}, "not a positive amount"},
		{[]string{"--to", payee + ":10000", "--fee-rate", "2", "--utxo", strings.Repeat("ab", 32) + ":0"}, "not an unspent output"},
		{[]string{"--to", payee + ":10000"}, "give --fee-rate"},
	} {
		args := append([]string{"--data-dir", dir, "wallet", "send", "cold", "-o", psbtFile}, c.args...)
		out, err := runCLIErr(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("send %v: error %v, want one saying %q\n%s", c.args, err, c.want, out)
		}
		if _, serr := os.Stat(psbtFile); serr == nil {
			t.Fatalf("send %v wrote %s despite the error", c.args, psbtFile)
		}
	}

	// A high fee passes with --allow-high-fee; the PSBT is unsigned.
	out := runCLI(t, "--data-dir", dir, "wallet", "send", "cold", "--to", payee+":10000", "--fee-rate", "50", "--allow-high-fee", "-o", psbtFile)
	if !strings.Contains(string(out), "wrote unsigned PSBT") {
		t.Fatalf("send output: %s", out)
	}
	out = runCLI(t, "wallet", "psbt", "show", psbtFile)
	if !strings.Contains(string(out), payee) || !strings.Contains(string(out), "not fully signed") {
		t.Fatalf("psbt show: %s", out)
	}
	if _, err := runCLIErr(t, "wallet", "psbt", "finalize", psbtFile); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("finalize of an unsigned PSBT: %v", err)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "broadcast", "cold", psbtFile); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("broadcast of an unsigned PSBT: %v", err)
	}
	combined := filepath.Join(t.TempDir(), "c.psbt")
	runCLI(t, "wallet", "psbt", "combine", psbtFile, psbtFile, "-o", combined)
	if p, err := wallet.ReadPSBTFile(combined); err != nil || len(p.Inputs) != 1 {
		t.Fatalf("combined PSBT: %v", err)
	}

	// Labels round trip, and a frozen output is not spent.
	labelsFile := filepath.Join(t.TempDir(), "labels.jsonl")
	st, _, err := service.LoadState(portfolio.WalletConfig{ID: "cold", Descriptor: bip84Desc, Network: "mainnet"})
	if err != nil {
		t.Fatal(err)
	}
	op := st.UTXOs()[0].OutPoint
	doc := `{"type":"output","ref":"` + op.String() + `","label":"savings","spendable":false}` + "\n"
	if err := os.WriteFile(labelsFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "--data-dir", dir, "wallet", "labels", "import", "cold", labelsFile)
	exported := runCLI(t, "--data-dir", dir, "wallet", "labels", "export", "cold", "-")
	if !strings.Contains(string(exported), `"savings"`) {
		t.Fatalf("export: %s", exported)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "send", "cold", "--to", payee+":10000", "--fee-rate", "2", "-o", psbtFile+"2"); err == nil || !strings.Contains(err.Error(), "insufficient funds") {
		t.Fatalf("send with the only output frozen: %v", err)
	}
}

// TestWalletJSONKeysDocumented checks the wallet commands' JSON against
// the tables under the "### `wallet ... --json`" headings of docs/cli.md,
// both ways.
func TestWalletJSONKeysDocumented(t *testing.T) {
	dir := walletFixture(t)
	psbtFile := filepath.Join(t.TempDir(), "pay.psbt")
	runCLI(t, "--data-dir", dir, "wallet", "send", "cold", "--to", "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g:10000", "--fee-rate", "2", "-o", psbtFile)
	commands := map[string][]string{
		"addresses": {"wallet", "addresses", "--descriptor", bip84Desc},
		"list":      {"--data-dir", dir, "wallet", "list"},
		"balance":   {"--data-dir", dir, "wallet", "balance", "cold"},
		"utxos":     {"--data-dir", dir, "wallet", "utxos", "cold"},
		"history":   {"--data-dir", dir, "wallet", "history", "cold"},
		"receive":   {"--data-dir", dir, "wallet", "receive", "cold"},
		"psbt show": {"wallet", "psbt", "show", psbtFile},
		"export":    {"--data-dir", dir, "wallet", "export", "cold"},
		"send": {"--data-dir", dir, "wallet", "send", "cold", "--to", "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g:10000",
			"--fee-rate", "2", "-o", psbtFile + ".2", "--sign-with", "speculos:" + startBIP84Sim(t)},
	}
	docs := documentedKeys(t, regexp.MustCompile("^#+ `wallet ([a-z ]+?)(?: [A-Z.]+)* --json`"))
	for name := range docs {
		if commands[name] == nil {
			t.Errorf("docs/cli.md documents `wallet %s --json`, which this test does not run", name)
		}
	}
	for name, args := range commands {
		if docs[name] == nil {
			t.Errorf("docs/cli.md has no section for `wallet %s --json`", name)
			continue
		}
		emitted := map[string]bool{}
		jsonKeys(t, runCLI(t, append(args, "--json")...), emitted)
		for k := range emitted {
			if !docs[name][k] {
				t.Errorf("wallet %s --json emits %q, which docs/cli.md does not document", name, k)
			}
		}
		for k := range docs[name] {
			if !emitted[k] {
				t.Errorf("docs/cli.md documents %q for wallet %s --json, which it does not emit", k, name)
			}
		}
	}
}

// startBIP84Sim serves a simulated Ledger with the BIP 84 vector's seed
// (the Bitcoin app, mainnet), which holds wallet "cold"'s keys.
func startBIP84Sim(t *testing.T) string {
	t.Helper()
	addr, _ := simtest.Ledger(t, simledger.Options{Network: &chaincfg.MainNetParams,
		Mnemonic: "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"})
	return addr
}

// TestWalletSendSignWith builds, signs on the simulated device and
// finalizes in one command: the file holds the finalized PSBT, whose
// transaction passes the script engine. --broadcast without a backend
// fails after the file is written, saying where it is.
func TestWalletSendSignWith(t *testing.T) {
	dir := walletFixture(t)
	uri := "speculos:" + startBIP84Sim(t)
	out := filepath.Join(t.TempDir(), "pay.psbt")
	const payee = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
	var res sendJSON
	if err := json.Unmarshal(runCLI(t, "--data-dir", dir, "wallet", "send", "cold", "--to", payee+":10000", "--fee-rate", "2",
		"-o", out, "--sign-with", uri, "--json"), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Signed || !res.Complete || res.Broadcast || res.Signatures != 1 || res.Device == nil || *res.Device != "Ledger" {
		t.Fatalf("result %+v", res)
	}
	p, err := wallet.ReadPSBTFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Inputs[0].FinalScriptWitness == nil {
		t.Fatal("the written PSBT is not finalized")
	}
	tx, err := wallet.Extract(p)
	if err != nil {
		t.Fatal(err)
	}
	if tx.TxHash().String() != res.TxID {
		t.Fatalf("txid %s, JSON says %s", tx.TxHash(), res.TxID)
	}

	out2 := out + ".2"
	_, err = runCLIErr(t, "--data-dir", dir, "wallet", "send", "cold", "--to", payee+":10000", "--fee-rate", "2",
		"-o", out2, "--sign-with", uri, "--broadcast")
	if err == nil || !strings.Contains(err.Error(), "no backend") || !strings.Contains(err.Error(), out2) {
		t.Fatalf("--broadcast without a backend: %v", err)
	}
	if _, err := wallet.ReadPSBTFile(out2); err != nil {
		t.Fatalf("the signed PSBT was not kept: %v", err)
	}
	if _, err := runCLIErr(t, "--data-dir", dir, "wallet", "send", "cold", "--to", payee+":10000", "--fee-rate", "2",
		"-o", out+".3", "--broadcast"); err == nil || !strings.Contains(err.Error(), "--sign-with") {
		t.Fatalf("--broadcast alone: %v", err)
	}
}
