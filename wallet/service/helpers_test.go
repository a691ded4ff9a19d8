package service_test

import (
	"testing"

	"github.com/adrg/xdg"
	"github.com/btcsuite/btcd/btcutil"
)

func hash160(b []byte) []byte { return btcutil.Hash160(b) }

// setCacheHome points the XDG cache directory at a temporary one for the
// test (the xdg package reads the environment once, so it is reloaded).
func setCacheHome(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	xdg.Reload()
	t.Cleanup(xdg.Reload)
}
