package main

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
)

// globals holds the global flags and the injected dependencies every
// command shares.
type globals struct {
	dataDir string // --data-dir: where the portfolio file lives
	demo    bool   // --demo: use the embedded demo portfolio, read-only
	now     func() time.Time
}

func newRootCmd() *cobra.Command { return newRootCmdAt(time.Now) }

// newRootCmdAt builds the command tree with the clock now, which every
// valuation and price age is measured against.
func newRootCmdAt(now func() time.Time) *cobra.Command {
	g := &globals{now: now}
	root := &cobra.Command{
		Use:   "hardfolio",
		Short: "Track savings in bitcoin, gold and cash under your own custody",
		Long: `hardfolio tracks savings held in bitcoin, gold and cash under your own
custody. Without a command it opens the terminal interface; the commands
below script the same portfolio file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd, g, g.demo)
		},
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", "", "directory of the portfolio file (default: "+book.DefaultDir()+")")
	root.PersistentFlags().BoolVar(&g.demo, "demo", false, "use the embedded demo portfolio, read-only")
	addTUIFlags(root.Flags())
	root.AddCommand(
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run: func(cmd *cobra.Command, _ []string) {
				fmt.Fprintln(cmd.OutOrStdout(), "hardfolio", version)
			},
		},
		newDemoCmd(g),
		newHoldingsCmd(g),
		newCustodiansCmd(g),
		newPricesCmd(g),
		newReportCmd(g),
		newAnalyzeCmd(g),
		newMonteCarloCmd(g),
		newRebalanceCmd(g),
		newWhatIfCmd(g),
		newBacktestCmd(g),
		newStressCmd(g),
		newEditCmd(g),
		newEncryptCmd(g),
		newDecryptCmd(g),
		newWalletCmd(g),
		newHWCmd(g),
		newSimCmd(g),
	)
	return root
}

// openBook opens the portfolio the global flags select: the demo, or the
// file in the data directory.
func (g *globals) openBook() (*book.Book, error) {
	if g.demo {
		return book.OpenDemo(g.now()), nil
	}
	return book.Open(g.dataDir, book.Options{Passphrase: askPassphrase})
}

// open is openBook for a command: on first run, when the file has just
// been created, a note saying where goes to the command's error stream.
func (g *globals) open(cmd *cobra.Command) (*book.Book, error) {
	b, err := g.openBook()
	if err != nil {
		return nil, err
	}
	if b.Created() {
		fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: created a new portfolio at %s\n", b.Path())
	}
	return b, nil
}

// dir is the data directory the global flags select.
func (g *globals) dir() string {
	if g.dataDir != "" {
		return g.dataDir
	}
	return book.DefaultDir()
}

// openWritable opens the portfolio for a command that changes it. It
// refuses the demo with book.ErrDemo before touching anything, and a file
// another process holds with the reason, so that no work is done that
// could not be saved.
func (g *globals) openWritable(cmd *cobra.Command) (*book.Book, error) {
	if g.demo {
		return nil, book.ErrDemo
	}
	b, err := g.open(cmd)
	if err != nil {
		return nil, err
	}
	if err := b.EnsureWritable(); err != nil {
		b.Close()
		return nil, fmt.Errorf("cannot change the portfolio: %w", err)
	}
	return b, nil
}

// edit opens the portfolio for writing, lets change alter a copy of it
// and saves the copy, which it returns. When change fails nothing is
// saved.
func (g *globals) edit(cmd *cobra.Command, change func(q *portfolio.Portfolio) error) (*portfolio.Portfolio, error) {
	b, err := g.openWritable(cmd)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	q := b.Portfolio().Clone()
	if err := change(q); err != nil {
		return nil, err
	}
	if err := b.Save(q); err != nil {
		return nil, err
	}
	return q, nil
}

// isFileError reports whether err is about reading or writing a file (as
// opposed to the file's content).
func isFileError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}
