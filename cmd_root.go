package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/hardfolio/hardfolio/portfolio/book"
)

// globals holds the global flags and the injected dependencies every
// command shares.
type globals struct {
	dataDir string // --data-dir: where the portfolio file lives
	demo    bool   // --demo: use the embedded demo portfolio, read-only
	now     func() time.Time
}

func newRootCmd() *cobra.Command {
	g := &globals{now: time.Now}
	root := &cobra.Command{
		Use:           "hardfolio",
		Short:         "Track savings in bitcoin, gold and cash under your own custody",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd, g, g.demo)
		},
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data-dir", "", "directory of the portfolio file (default: "+book.DefaultDir()+")")
	root.PersistentFlags().BoolVar(&g.demo, "demo", false, "use the embedded demo portfolio, read-only")
	root.AddCommand(
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run: func(cmd *cobra.Command, _ []string) {
				cmd.Println("hardfolio", version)
			},
		},
		newDemoCmd(g),
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
