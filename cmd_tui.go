package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newDemoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Open the TUI on the embedded demo portfolio (writes nothing)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runTUI(cmd, g, true) },
	}
}

func runTUI(cmd *cobra.Command, g *globals, demo bool) error {
	return errors.New("the TUI is not built yet")
}
