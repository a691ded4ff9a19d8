package regtest

import (
	"testing"
	"time"
)

func TestPopulate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	start := time.Now()
	Binary(t)
	t.Logf("btcd binary ready in %v", BuildTime())
	w := NewWallet(t)
	n := Start(t, w.MinerAddress())
	a := Populate(t, n, w)
	if got := len(n.Mempool(t)); got != 3 {
		t.Errorf("mempool has %d transactions, want 3", got)
	}
	if len(a.Scripts) != 36 {
		t.Errorf("%d scripts, want 36", len(a.Scripts))
	}
	t.Logf("node started and populated to height %d in %v", n.Height(t), time.Since(start))
}
