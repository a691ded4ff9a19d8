package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// NewPassphraseEnv is the environment variable scripts can set to the new
// passphrase when "hardfolio encrypt" changes the passphrase of an
// encrypted portfolio; HARDFOLIO_PASSPHRASE then gives the current one.
const NewPassphraseEnv = "HARDFOLIO_NEW_PASSPHRASE"

// askPassphrase reads the portfolio passphrase from HARDFOLIO_PASSPHRASE or,
// on a terminal, from a prompt without echo. confirm means a new passphrase
// is being set: it is read from HARDFOLIO_NEW_PASSPHRASE first, else as
// above, and a prompt asks for it twice.
func askPassphrase(confirm bool) ([]byte, error) {
	if confirm {
		if v := os.Getenv(NewPassphraseEnv); v != "" {
			return []byte(v), nil
		}
	}
	if v := os.Getenv(book.PassphraseEnv); v != "" {
		return []byte(v), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		if confirm {
			return nil, errors.New("a new passphrase is needed: set " + book.PassphraseEnv + " or run in a terminal")
		}
		return nil, errors.New("the portfolio is encrypted: set " + book.PassphraseEnv + " or run in a terminal")
	}
	prompt := "Portfolio passphrase: "
	if confirm {
		prompt = "New portfolio passphrase: "
	}
	fmt.Fprint(os.Stderr, prompt)
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Repeat the new passphrase: ")
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
