package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/hardfolio/hardfolio/portfolio/book"
)

// askPassphrase reads the portfolio passphrase from HARDFOLIO_PASSPHRASE or,
// on a terminal, from a prompt without echo (twice when confirm is set).
func askPassphrase(confirm bool) ([]byte, error) {
	if v := os.Getenv(book.PassphraseEnv); v != "" {
		return []byte(v), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errors.New("the portfolio is encrypted: set " + book.PassphraseEnv + " or run in a terminal")
	}
	fmt.Fprint(os.Stderr, "Portfolio passphrase: ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Repeat passphrase: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		if string(p) != string(q) {
			return nil, errors.New("the passphrases differ")
		}
	}
	return p, nil
}
