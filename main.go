// Command hardfolio tracks savings held in hard assets (bitcoin, gold, cash)
// under the saver's own custody, in the terminal.
package main

import (
	"fmt"
	"os"

	// Settles the terminal background before bubbletea's init can ask the
	// terminal (and stall on one that never answers); see its doc.
	_ "codeberg.org/hardfolio/hardfolio/tui/termbg"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "hardfolio:", err)
		os.Exit(1)
	}
}
