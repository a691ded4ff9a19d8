package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// The sim commands run hardfolio's software devices, for trying the hw
// commands and for tests without hardware. They hold private keys in the
// clear and say so.

func newSimCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a simulated hardware wallet (test keys only, never real funds)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSimLedgerCmd())
	return cmd
}

func newSimLedgerCmd() *cobra.Command {
	var listen, mnemonic, passphrase, network string
	cmd := &cobra.Command{
		Use:   "ledger [--listen 127.0.0.1:9999] [--mnemonic M] [--passphrase P] [--network N]",
		Short: "Serve a simulated Ledger (Bitcoin app) on the Speculos APDU port",
		Long: `Serve a simulated Ledger running the Bitcoin app on a loopback TCP port,
speaking Speculos' APDU protocol, until interrupted. Open it with
--device speculos:HOST:PORT. Without --mnemonic it uses Speculos' public
default seed (fingerprint f5acc2fd).

The simulator holds its private key in memory, in the clear: never give it
a mnemonic that guards real funds, and never send real funds to its
addresses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := descriptor.ParseNetwork(network)
			if err != nil {
				return fmt.Errorf("--network: %w", err)
			}
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return errors.New("--listen: the simulator has no authentication and holds private keys: listen on a loopback address (127.0.0.1)")
			}
			dev, warning, err := simledger.New(simledger.Options{
				Mnemonic: mnemonic, Passphrase: passphrase, Network: n.Params(),
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "WARNING:", warning)
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				dev.Close()
				return err
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			fpr := dev.MasterFingerprint()
			fmt.Fprintf(cmd.OutOrStdout(), "simulated Ledger, app %q, fingerprint %x: --device speculos:%s (Ctrl-C stops it)\n",
				dev.AppName(), fpr[:], ln.Addr())
			served := make(chan error, 1)
			go func() { served <- dev.Serve(ln) }()
			select {
			case <-ctx.Done():
				dev.Close()
				<-served
				return nil
			case err := <-served:
				dev.Close()
				return err
			}
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", simledger.DefaultSpeculosAddr, "loopback address to serve APDUs on")
	fs.StringVar(&mnemonic, "mnemonic", "", "BIP39 mnemonic of the simulated seed (default: Speculos' public test seed)")
	fs.StringVar(&passphrase, "passphrase", "", "BIP39 passphrase")
	fs.StringVar(&network, "network", "testnet", "mainnet (the Bitcoin app), testnet or regtest (the Bitcoin Test app)")
	return cmd
}
