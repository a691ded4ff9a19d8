// Command hardfolio tracks savings held in hard assets (bitcoin, gold, cash)
// under the saver's own custody, in the terminal.
package main

import (
	"fmt"
	"os"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "hardfolio:", err)
		os.Exit(1)
	}
}
