package chaintest_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
)

// memHarness runs the suite against the in-memory fake.
type memHarness struct {
	f *chaintest.Fixture
	m *chaintest.Memory
}

func (h *memHarness) Fixture() *chaintest.Fixture { return h.f }
func (h *memHarness) Source(t *testing.T) chain.Source {
	s := h.m.Source()
	t.Cleanup(func() { s.Close() })
	return s
}
func (h *memHarness) Lie(k chaintest.LieKind) bool { return h.m.Lie(k) }
func (h *memHarness) HasFeeEstimates() bool        { return true }

// BroadcastTx spends the first output of the last mempool transaction.
func (h *memHarness) BroadcastTx(t *testing.T) *wire.MsgTx {
	parent := h.f.Mempool[len(h.f.Mempool)-1]
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: parent.TxHash(), Index: 0}})
	tx.AddTxOut(wire.NewTxOut(parent.TxOut[0].Value-500, parent.TxOut[0].PkScript))
	return tx
}

func TestMemory(t *testing.T) {
	f := chaintest.BuildSynthetic(1)
	chaintest.Run(t, &memHarness{f: f, m: chaintest.NewMemory(f)})
}

func TestSyntheticDeterministic(t *testing.T) {
	a, b := chaintest.BuildSynthetic(7), chaintest.BuildSynthetic(7)
	if a.Tip() != b.Tip() || len(a.Mempool) != len(b.Mempool) {
		t.Fatal("same seed, different chains")
	}
	for i := range a.Mempool {
		if !bytes.Equal(chaintest.TxBytes(a.Mempool[i]), chaintest.TxBytes(b.Mempool[i])) {
			t.Fatal("same seed, different mempools")
		}
	}
	if c := chaintest.BuildSynthetic(8); c.Tip() == a.Tip() {
		t.Fatal("different seeds, same chain")
	}
}

// TestSyntheticChain checks the links and merkle roots of the synthetic
// chain and that every wallet role is played.
func TestSyntheticChain(t *testing.T) {
	f := chaintest.BuildSynthetic(3)
	for h := 1; h < len(f.Blocks); h++ {
		b := f.Blocks[h]
		if b.Header.PrevBlock != f.Blocks[h-1].BlockHash() {
			t.Fatalf("block %d does not link", h)
		}
		if b.Header.MerkleRoot != chaintest.MerkleRoot(b.Transactions) {
			t.Fatalf("block %d: bad merkle root", h)
		}
		// Serialization round trip: the blocks are well-formed.
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		var back wire.MsgBlock
		if err := back.Deserialize(&buf); err != nil || back.BlockHash() != b.BlockHash() {
			t.Fatalf("block %d does not round-trip: %v", h, err)
		}
	}
	truth := chaintest.Truth(f)
	spentMempool := func(refs []chain.TxRef) (conf, mem int) {
		for _, r := range refs {
			if r.Confirmed() {
				conf++
			} else {
				mem++
			}
		}
		return
	}
	for i, refs := range truth {
		conf, mem := spentMempool(refs)
		switch i % 5 {
		case 0: // received and spent
			if conf < 2 {
				t.Errorf("used script %d has %d confirmed entries", i, conf)
			}
		case 1, 2: // received (and, for 2, spent in the mempool)
			if conf < 1 {
				t.Errorf("script %d has no confirmed entry", i)
			}
			if i%5 == 2 && mem < 1 {
				t.Errorf("script %d is not spent in the mempool", i)
			}
		case 3:
			if conf != 0 || mem < 1 {
				t.Errorf("mempool-only script %d: %d confirmed, %d unconfirmed", i, conf, mem)
			}
		case 4:
			if len(refs) != 0 {
				t.Errorf("never-used script %d has history", i)
			}
		}
	}
}

// TestSuiteCatchesWrongHistory makes sure the comparison is not vacuous.
func TestSuiteCatchesWrongHistory(t *testing.T) {
	f := chaintest.BuildSynthetic(1)
	want := chaintest.Truth(f)
	got := f.History(f.Scripts, 0)
	if d := chaintest.DiffHistory(f.Scripts, want, got); d != "" {
		t.Fatalf("identical histories differ:\n%s", d)
	}
	got[0] = got[0][1:]
	if chaintest.DiffHistory(f.Scripts, want, got) == "" {
		t.Error("a missing entry went unnoticed")
	}
	got = f.History(f.Scripts, 0)
	got[0][0].Height++
	if chaintest.DiffHistory(f.Scripts, want, got) == "" {
		t.Error("a wrong height went unnoticed")
	}
}
