package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// Export formats of "wallet export".
var exportFormats = []string{"descriptor", "chains", "bsms", "coldcard"}

// walletExportJSON is what "wallet export --json" writes.
type walletExportJSON struct {
	Wallet     string `json:"wallet"`
	Format     string `json:"format"`
	Descriptor string `json:"descriptor"`
	Receive    string `json:"receive"`
	Change     string `json:"change"`
	Text       string `json:"text"`
}

func newWalletExportCmd(g *globals) *cobra.Command {
	var format, name, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "export ID [--format descriptor|chains|bsms|coldcard] [-o FILE]",
		Short: "Write a wallet's descriptor or multisig setup file, for other wallets and cosigners",
		Long: `Write what another wallet needs to watch (or, with its keys, sign for) this
wallet, to standard output or FILE:

  descriptor  the descriptor with its checksum, receive and change chains as
              /<0;1>/* (BIP 389); what "wallet add" and "hw register" take
  chains      the receive and the change descriptor, one per line, each
              with its checksum (for wallets that take one per chain)
  bsms        multisig only: a BIP 129 descriptor record (BSMS 1.0), with
              the first address for the cosigners to compare
  coldcard    multisig only, sortedmulti: a Coldcard multisig setup file,
              named --name (1 to 20 characters; default the wallet's name)

Only public keys are written.`,
		Example: `  hardfolio wallet export vault --format bsms -o vault.bsms
  hardfolio hw register --device hid:1-2:1.0 --name "Family vault" --descriptor "$(hardfolio wallet export vault)"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeWalletIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.walletConfig(cmd, args[0])
			if err != nil {
				return err
			}
			w, err := service.Open(cfg)
			if err != nil {
				return err
			}
			j := walletExportJSON{Wallet: w.ID, Format: format, Descriptor: w.String()}
			if m := w.Multisig; m != nil {
				j.Receive, j.Change = m.Chains()
			} else if ds := w.Descriptor.Expand(); len(ds) == 2 {
				j.Receive, j.Change = ds[0].String(), ds[1].String()
			} else if w.ChangeDescriptor != nil {
				j.Receive, j.Change = w.Descriptor.String(), w.ChangeDescriptor.String()
			} else {
				j.Receive = w.Descriptor.String()
			}
			switch format {
			case "descriptor":
				j.Text = j.Descriptor + "\n"
			case "chains":
				j.Text = j.Receive + "\n"
				if j.Change != "" {
					j.Text += j.Change + "\n"
				}
			case "bsms", "coldcard":
				if w.Multisig == nil {
					return fmt.Errorf("--format %s: wallet %q is single-sig; these files describe multisig wallets (use --format descriptor)", format, w.ID)
				}
				if format == "bsms" {
					j.Text, err = w.Multisig.BSMS()
					break
				}
				if name == "" {
					name = cfg.Name
				}
				if name == "" {
					name = cfg.ID
				}
				if j.Text, err = w.Multisig.Coldcard(name); err != nil && len(name) > 20 {
					err = fmt.Errorf("%w (give --name)", err)
				}
			default:
				return fmt.Errorf("--format %q: want %s", format, strings.Join(exportFormats, ", "))
			}
			if err != nil {
				return fmt.Errorf("wallet %q: --format %s: %w", w.ID, format, err)
			}
			if out != "" {
				if err := os.WriteFile(out, []byte(j.Text), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: wrote %s of wallet %s to %s\n", format, w.ID, out)
			}
			switch {
			case asJSON:
				return writeJSON(cmd.OutOrStdout(), j)
			case out == "":
				_, err = fmt.Fprint(cmd.OutOrStdout(), j.Text)
				return err
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&format, "format", "descriptor", "what to write: "+strings.Join(exportFormats, ", "))
	fs.StringVar(&name, "name", "", "coldcard: the wallet's name on the device (default the wallet's name)")
	fs.StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	fs.BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion(exportFormats...))
	return cmd
}
