package testchain

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// CheckFault makes one call ("History", "Transactions" or "Tip") to src,
// whose server has a fault switched on, and checks the error: it comes
// within 4 s, wraps want (when not nil), contains text, and is a
// *chain.ServerError naming server.
func CheckFault(t *testing.T, src chain.Source, call string, scripts [][]byte, ids []chainhash.Hash, want error, text, server string) {
	t.Helper()
	start := time.Now()
	var err error
	switch call {
	case "History":
		_, err = src.History(context.Background(), scripts, 0, nil)
	case "Transactions":
		_, err = src.Transactions(context.Background(), ids)
	case "Tip":
		_, err = src.Tip(context.Background())
	default:
		t.Fatalf("unknown call %q", call)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %v", took)
	}
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("%v", err)
	if want != nil && !errors.Is(err, want) {
		t.Errorf("error %v, want %v", err, want)
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("error %q does not say %q", err, text)
	}
	var se *chain.ServerError
	if !errors.As(err, &se) || !strings.Contains(se.Server, server) {
		t.Errorf("error %v does not name the server", err)
	}
}
