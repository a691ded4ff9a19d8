package store

import (
	"fmt"
	"os"
)

// PassphraseEnv is the environment variable hardfolio reads the portfolio
// passphrase from when it is not asked on the terminal.
const PassphraseEnv = "HARDFOLIO_PASSPHRASE"

// PassphraseFromEnv returns an Options.Passphrase function that reads the
// passphrase from the environment variable name each time it is called
// (for both confirm values: a variable needs no confirmation). The function
// returns an error wrapping ErrNoPassphrase, naming the variable, when it is
// unset or empty.
func PassphraseFromEnv(name string) func(confirm bool) ([]byte, error) {
	return func(bool) ([]byte, error) {
		v := os.Getenv(name)
		if v == "" {
			return nil, fmt.Errorf("%w: environment variable %s is not set", ErrNoPassphrase, name)
		}
		return []byte(v), nil
	}
}
