package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// newEncryptCmd is "hardfolio encrypt": encryption at rest through the
// store, or a new passphrase.
func newEncryptCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "encrypt",
		Short: "Encrypt the portfolio file with a passphrase, or change its passphrase",
		Long: `Encrypt the portfolio file with a passphrase (age, scrypt). From then on
every command asks for the passphrase, or reads it from
HARDFOLIO_PASSPHRASE. The unencrypted backups are deleted, so no readable
copy stays behind.

On an encrypted portfolio, this changes the passphrase: the current one is
asked first, then the new one (twice), or read from HARDFOLIO_PASSPHRASE
and HARDFOLIO_NEW_PASSPHRASE.

There is no way to recover a forgotten passphrase.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			was := b.Encrypted()
			if err := b.Store().Encrypt(); err != nil {
				return err
			}
			if was {
				fmt.Fprintf(cmd.OutOrStdout(), "changed the passphrase of %s\n", b.Path())
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "encrypted %s\n", b.Path())
			}
			return nil
		},
	}
}

// newDecryptCmd is "hardfolio decrypt".
func newDecryptCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "decrypt",
		Short: "Store the portfolio file unencrypted again",
		Long: `Decrypt the portfolio file and store it readable from now on. The
passphrase is asked, or read from HARDFOLIO_PASSPHRASE. The encrypted
version is kept as a backup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.demo {
				return book.ErrDemo
			}
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			if !b.Encrypted() {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is not encrypted; nothing to do\n", b.Path())
				return nil
			}
			if err := b.Store().Decrypt(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "decrypted %s\n", b.Path())
			return nil
		},
	}
}
