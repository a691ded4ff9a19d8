package chain_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

func TestTxCache(t *testing.T) {
	c := chain.NewTxCache(4)
	txs := make([]*wire.MsgTx, 5)
	for i := range txs {
		txs[i] = wire.NewMsgTx(int32(i + 1))
		c.Put(txs[i].TxHash(), txs[i])
	}
	if got := c.Get(txs[4].TxHash()); got != txs[4] {
		t.Errorf("last put: %v", got)
	}
	n := 0
	for _, tx := range txs {
		if c.Get(tx.TxHash()) != nil {
			n++
		}
	}
	if n > 4 {
		t.Errorf("%d transactions kept, want at most 4", n)
	}
}

func TestProvenSet(t *testing.T) {
	var p chain.ProvenSet
	id, blk := chainhash.HashH([]byte("tx")), chainhash.HashH([]byte("block"))
	if _, ok := p.Get(id, 5); ok {
		t.Error("empty set knows a transaction")
	}
	p.Put(id, 5, blk)
	if got, ok := p.Get(id, 5); !ok || got != blk {
		t.Errorf("Get at the proven height: %s, %v", got, ok)
	}
	if _, ok := p.Get(id, 6); ok {
		t.Error("proven at another height")
	}
}

func TestWrapServer(t *testing.T) {
	if chain.WrapServer("s", "op", nil) != nil {
		t.Error("nil wrapped")
	}
	err := chain.WrapServer("s", "op", context.DeadlineExceeded)
	var se *chain.ServerError
	if !errors.As(err, &se) || se.Server != "s" || se.Op != "op" || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "no reply in time") {
		t.Errorf("deadline: %v", err)
	}
	if again := chain.WrapServer("t", "other", err); again != err {
		t.Errorf("a ServerError wrapped again: %v", again)
	}
}

func TestParseBranchHex(t *testing.T) {
	h := chainhash.HashH([]byte("x"))
	got, err := chain.ParseBranchHex([]string{h.String()})
	if err != nil || len(got) != 1 || got[0] != h {
		t.Errorf("one hash: %v, %v", got, err)
	}
	if _, err := chain.ParseBranchHex(make([]string, 33)); err == nil {
		t.Error("33 hashes accepted")
	}
	if _, err := chain.ParseBranchHex([]string{"zz"}); err == nil {
		t.Error("bad hash accepted")
	}
}
