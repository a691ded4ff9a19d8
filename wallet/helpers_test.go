package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// Private keys appear in tests only: they play the hardware wallet that
// signs what the watch-only wallet builds.

// testSeed is the seed of BIP 32 test vector 1.
var testSeed, _ = hex.DecodeString("000102030405060708090a0b0c0d0e0f")

func testMaster(t testing.TB) *hdkeychain.ExtendedKey {
	t.Helper()
	m, err := hdkeychain.NewMaster(testSeed, &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fingerprint(t testing.TB, k *hdkeychain.ExtendedKey) [4]byte {
	pub, err := k.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	var fp [4]byte
	copy(fp[:], btcutil.Hash160(pub.SerializeCompressed())[:4])
	return fp
}

var purposes = map[descriptor.ScriptType]uint32{
	descriptor.PKH: 44, descriptor.SHWPKH: 49, descriptor.WPKH: 84, descriptor.TR: 86,
}

// testWallet returns a regtest wallet of the script type whose account key
// is m/purpose'/1'/0' under the test seed.
func testWallet(t testing.TB, typ descriptor.ScriptType) *Wallet {
	t.Helper()
	m := testMaster(t)
	path := []uint32{purposes[typ] + hdkeychain.HardenedKeyStart, 1 + hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart}
	acct := m
	for _, p := range path {
		var err error
		if acct, err = acct.Derive(p); err != nil {
			t.Fatal(err)
		}
	}
	xpub, err := acct.Neuter()
	if err != nil {
		t.Fatal(err)
	}
	origin := descriptor.KeyOrigin{Fingerprint: fingerprint(t, m), Path: path}
	d, err := descriptor.FromXpub(xpub.String(), typ, &origin, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	return &Wallet{ID: "test-" + typ.String(), Name: "test", Descriptor: d, GapLimit: 20}
}

func derive(t testing.TB, w *Wallet, change bool, index uint32) descriptor.Derived {
	t.Helper()
	d, err := w.deriveOne(change, index)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// foreignScript is a P2WPKH script paying to nobody in the tests.
func foreignScript(tag string) []byte {
	h := sha256.Sum256([]byte(tag))
	return append([]byte{0x00, 0x14}, h[:20]...)
}

func foreignAddress(t testing.TB, tag string) string {
	h := sha256.Sum256([]byte(tag))
	a, err := btcutil.NewAddressWitnessPubKeyHash(h[:20], &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return a.EncodeAddress()
}

// memChain is an in-memory chain.Source: a list of transactions with
// heights (0: mempool).
type memChain struct {
	mu     sync.Mutex
	tip    chain.BlockRef
	txs    []memTx
	sinces []int32 // since of every History call
}

type memTx struct {
	tx     *wire.MsgTx
	height int32
}

func newMemChain(height int32) *memChain {
	c := &memChain{}
	c.setTip(height, "a")
	return c
}

func (c *memChain) setTip(height int32, fork string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tip = chain.BlockRef{Height: height, Hash: blockHash(height, fork)}
}

func blockHash(height int32, fork string) chainhash.Hash {
	return sha256.Sum256([]byte{byte(height), byte(height >> 8), fork[0]})
}

// add puts tx in the chain at height (0: mempool).
func (c *memChain) add(tx *wire.MsgTx, height int32) *wire.MsgTx {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.txs = append(c.txs, memTx{tx, height})
	return tx
}

// remove drops a transaction (reorganised out or evicted).
func (c *memChain) remove(id chainhash.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range c.txs {
		if t.tx.TxHash() == id {
			c.txs = append(c.txs[:i], c.txs[i+1:]...)
			return
		}
	}
}

func (c *memChain) Tip(ctx context.Context) (chain.BlockRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tip, nil
}

func (c *memChain) History(ctx context.Context, scripts [][]byte, since int32, progress chan<- chain.Progress) ([][]chain.TxRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sinces = append(c.sinces, since)
	outs := map[wire.OutPoint][]byte{}
	for _, t := range c.txs {
		for i, o := range t.tx.TxOut {
			outs[wire.OutPoint{Hash: t.tx.TxHash(), Index: uint32(i)}] = o.PkScript
		}
	}
	res := make([][]chain.TxRef, len(scripts))
	for k, s := range scripts {
		for _, t := range c.txs {
			if t.height > 0 && t.height < since {
				continue
			}
			touch := false
			for _, o := range t.tx.TxOut {
				touch = touch || string(o.PkScript) == string(s)
			}
			for _, in := range t.tx.TxIn {
				touch = touch || string(outs[in.PreviousOutPoint]) == string(s)
			}
			if touch {
				ref := chain.TxRef{TxID: t.tx.TxHash(), Height: t.height}
				if t.height > 0 {
					ref.Block = blockHash(t.height, "a")
				}
				res[k] = append(res[k], ref)
			}
		}
	}
	if progress != nil {
		progress <- chain.Progress{Done: 1, Total: 1, What: "scan"}
	}
	return res, nil
}

func (c *memChain) Transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*wire.MsgTx, len(ids))
	for i, id := range ids {
		for _, t := range c.txs {
			if t.tx.TxHash() == id {
				out[i] = t.tx
			}
		}
		if out[i] == nil {
			return nil, errors.New("unknown transaction " + id.String())
		}
	}
	return out, nil
}

func (c *memChain) FeeRate(ctx context.Context, target int) (float64, error) { return 2, nil }

func (c *memChain) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	c.add(tx, 0)
	return tx.TxHash(), nil
}

func (c *memChain) Close() error { return nil }

// fund returns a transaction from a foreign input paying each value to the
// corresponding script.
func fund(tag string, scripts [][]byte, values []int64) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	prev := chainhash.Hash(sha256.Sum256([]byte("funding " + tag)))
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&prev, 0), []byte{0x51}, nil))
	for i, s := range scripts {
		tx.AddTxOut(wire.NewTxOut(values[i], s))
	}
	return tx
}

// spend returns a transaction spending the outpoints and paying values to
// scripts (signatures are not needed by the memory chain).
func spend(ops []wire.OutPoint, scripts [][]byte, values []int64) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for i := range ops {
		tx.AddTxIn(wire.NewTxIn(&ops[i], nil, nil))
	}
	for i, s := range scripts {
		tx.AddTxOut(wire.NewTxOut(values[i], s))
	}
	return tx
}

func syncOK(t *testing.T, w *Wallet, src chain.Source, st *State) *State {
	t.Helper()
	got, err := w.Sync(context.Background(), src, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
