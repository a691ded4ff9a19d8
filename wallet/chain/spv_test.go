package chain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

// Every leaf of trees of every shape up to 33 leaves folds back to the root.
func TestMerkleRoot(t *testing.T) {
	for n := 1; n <= 33; n++ {
		leaves := make([]chainhash.Hash, n)
		for i := range leaves {
			leaves[i] = chainhash.DoubleHashH([]byte{byte(n), byte(i)})
		}
		root := testchain.MerkleRoot(leaves)
		for pos := range leaves {
			branch := testchain.MerkleBranch(leaves, pos)
			got, err := chain.MerkleRoot(leaves[pos], branch, pos)
			if err != nil || got != root {
				t.Fatalf("%d leaves, pos %d: %s, %v; want %s", n, pos, got, err, root)
			}
			if pos > 0 {
				if wrong, _ := chain.MerkleRoot(leaves[pos], branch, pos-1); wrong == root {
					t.Fatalf("%d leaves: pos %d accepted for %d", n, pos-1, pos)
				}
			}
		}
	}
	if _, err := chain.MerkleRoot(chainhash.Hash{}, nil, 1); err == nil {
		t.Error("position 1 with an empty branch accepted")
	}
	if _, err := chain.MerkleRoot(chainhash.Hash{}, nil, -1); err == nil {
		t.Error("negative position accepted")
	}
}

// The mainnet genesis block: its single transaction is its merkle root,
// and its header meets mainnet's proof-of-work limit.
func TestGenesisInclusionAndWork(t *testing.T) {
	g := chaincfg.MainNetParams.GenesisBlock
	if err := chain.CheckInclusion(g.Transactions[0], &g.Header, nil, 0); err != nil {
		t.Errorf("genesis coinbase: %v", err)
	}
	if err := chain.CheckWork(&g.Header, &chaincfg.MainNetParams); err != nil {
		t.Errorf("genesis work: %v", err)
	}
	h := g.Header
	h.Nonce++
	if err := chain.CheckWork(&h, &chaincfg.MainNetParams); !errors.Is(err, chain.ErrLie) {
		t.Errorf("genesis with another nonce: %v, want ErrLie", err)
	}
	h = g.Header
	h.Bits = 0x207fffff // regtest's limit, far easier than mainnet's
	if err := chain.CheckWork(&h, &chaincfg.MainNetParams); !errors.Is(err, chain.ErrLie) {
		t.Errorf("easy bits on mainnet: %v, want ErrLie", err)
	}
	if err := chain.CheckWork(&h, &chaincfg.RegressionNetParams); err != nil {
		t.Errorf("regtest: %v", err)
	}
	if err := chain.CheckWork(&h, nil); err != nil {
		t.Errorf("no network: %v", err)
	}
}

// A 64-byte transaction could be an inner node of the tree: refused.
func TestInclusion64ByteTx(t *testing.T) {
	tx := wire.NewMsgTx(1)
	tx.AddTxIn(&wire.TxIn{SignatureScript: []byte{1}})
	tx.AddTxOut(wire.NewTxOut(1, []byte{0x51}))
	for tx.SerializeSizeStripped() < 64 {
		tx.TxIn[0].SignatureScript = append(tx.TxIn[0].SignatureScript, 0)
	}
	if n := tx.SerializeSizeStripped(); n != 64 {
		t.Fatalf("test transaction is %d bytes", n)
	}
	hdr := wire.BlockHeader{MerkleRoot: tx.TxHash()}
	if err := chain.CheckInclusion(tx, &hdr, nil, 0); !errors.Is(err, chain.ErrLie) {
		t.Errorf("64-byte transaction: %v, want ErrLie", err)
	}
}

func TestCheckLinks(t *testing.T) {
	b := testchain.Build(3, 4, 1)
	headers := make(map[int32]*wire.BlockHeader)
	for h, blk := range b.Blocks {
		hdr := blk.Header
		headers[int32(h)] = &hdr
	}
	if err := chain.CheckLinks(headers); err != nil {
		t.Fatal(err)
	}
	headers[2].PrevBlock[0] ^= 1
	if err := chain.CheckLinks(headers); !errors.Is(err, chain.ErrLie) {
		t.Errorf("broken link: %v, want ErrLie", err)
	}
}

func TestScriptHash(t *testing.T) {
	// The example of the Electrum protocol documentation: the P2PKH
	// script of the genesis block's address.
	script := []byte{0x76, 0xa9, 0x14, 0x62, 0xe9, 0x07, 0xb1, 0x5c, 0xbf, 0x27, 0xd5, 0x42, 0x53, 0x99, 0xeb, 0xf6, 0xf0, 0xfb, 0x50, 0xeb, 0xb8, 0x8f, 0x18, 0x88, 0xac}
	if got, want := chain.ScriptHash(script), "8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161"; got != want {
		t.Errorf("ScriptHash = %s, want %s", got, want)
	}
}

// Every transaction of a built chain touches the scripts whose histories
// list it, spends found through parents fetched on demand; a transaction
// listed for a script it does not touch is a lie.
func TestCheckTouches(t *testing.T) {
	b := testchain.Build(5, 6, 2)
	txs := make(map[chainhash.Hash]*wire.MsgTx)
	for _, blk := range b.Blocks {
		for _, tx := range blk.Transactions {
			txs[tx.TxHash()] = tx
		}
	}
	for _, tx := range b.Mempool {
		txs[tx.TxHash()] = tx
	}
	want := b.History(b.Scripts, 0)
	listed := make([][]chainhash.Hash, len(b.Scripts))
	only := make(map[chainhash.Hash]*wire.MsgTx) // the listed transactions alone
	for i, refs := range want {
		for _, r := range refs {
			listed[i] = append(listed[i], r.TxID)
			only[r.TxID] = txs[r.TxID]
		}
	}
	fetch := func(ids []chainhash.Hash) ([]*wire.MsgTx, error) {
		out := make([]*wire.MsgTx, len(ids))
		for i, id := range ids {
			out[i] = txs[id]
		}
		return out, nil
	}
	if bad, err := chain.CheckTouches(b.Scripts, listed, only, fetch); bad != -1 || err != nil {
		t.Fatalf("honest histories: %d, %v", bad, err)
	}

	// A spend listed without the payment it spends: the parent is
	// fetched, once; a fetch that fails ends the check with its error.
	var script []byte
	var spend *wire.MsgTx
	for i, refs := range want {
		for _, r := range refs {
			if tx := txs[r.TxID]; spend == nil && !paysTo(tx, b.Scripts[i]) {
				script, spend = b.Scripts[i], tx
			}
		}
	}
	if spend == nil {
		t.Fatal("built chain has no spend from a wallet script")
	}
	fetched := 0
	counted := func(ids []chainhash.Hash) ([]*wire.MsgTx, error) {
		fetched++
		return fetch(ids)
	}
	one := map[chainhash.Hash]*wire.MsgTx{spend.TxHash(): spend}
	if bad, err := chain.CheckTouches([][]byte{script}, [][]chainhash.Hash{{spend.TxHash()}}, one, counted); bad != -1 || err != nil || fetched != 1 {
		t.Errorf("spend alone: %d, %v after %d fetches; want -1, nil after 1", bad, err, fetched)
	}
	boom := errors.New("boom")
	bad, err := chain.CheckTouches([][]byte{script}, [][]chainhash.Hash{{spend.TxHash()}}, one, func([]chainhash.Hash) ([]*wire.MsgTx, error) { return nil, boom })
	if bad != -1 || !errors.Is(err, boom) {
		t.Errorf("failing fetch: %d, %v; want -1 and its error", bad, err)
	}

	// A coinbase to the miner, listed for the last script.
	cb := b.Blocks[1].Transactions[0]
	only[cb.TxHash()] = cb
	listed[len(listed)-1] = append(listed[len(listed)-1], cb.TxHash())
	bad, err = chain.CheckTouches(b.Scripts, listed, only, fetch)
	if bad != len(listed)-1 || !errors.Is(err, chain.ErrLie) || !strings.Contains(err.Error(), "neither pays to it nor spends from it") {
		t.Errorf("foreign transaction: %d, %v; want %d and ErrLie", bad, err, len(listed)-1)
	}
}

func paysTo(tx *wire.MsgTx, script []byte) bool {
	for _, o := range tx.TxOut {
		if string(o.PkScript) == string(script) {
			return true
		}
	}
	return false
}
