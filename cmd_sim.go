package main

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/spf13/cobra"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
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
	cmd.AddCommand(newSimLedgerCmd(), newSimTrezorCmd())
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
			n, err := simFlags(network, listen)
			if err != nil {
				return err
			}
			dev, warning, err := simledger.New(simledger.Options{
				Mnemonic: mnemonic, Passphrase: passphrase, Network: n.Params(),
			})
			if err != nil {
				return err
			}
			fpr := dev.MasterFingerprint()
			what := fmt.Sprintf("simulated Ledger, app %q, fingerprint %x", dev.AppName(), fpr[:])
			return serveSim(cmd, warning, dev, what, "speculos", func() (net.Addr, func() error, error) {
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return nil, nil, err
				}
				return ln.Addr(), func() error { return dev.Serve(ln) }, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", simledger.DefaultSpeculosAddr, "loopback address to serve APDUs on")
	fs.StringVar(&mnemonic, "mnemonic", "", "BIP39 mnemonic of the simulated seed (default: Speculos' public test seed)")
	fs.StringVar(&passphrase, "passphrase", "", "BIP39 passphrase")
	fs.StringVar(&network, "network", "testnet", "mainnet (the Bitcoin app), testnet or regtest (the Bitcoin Test app)")
	return cmd
}

// simFlags reads the --network and --listen flags both sim commands take:
// the network the device's keys are printed for, and the address to serve
// on, which must be on the loopback interface.
func simFlags(network, listen string) (descriptor.Network, error) {
	n, err := descriptor.ParseNetwork(network)
	if err != nil {
		return n, fmt.Errorf("--network: %w", err)
	}
	return n, checkLoopback(listen)
}

// serveSim prints the simulator's private-key warning on the error
// stream, opens its port with listen, says on the output what serves
// there (what, then the --device URI of scheme and the address) and serves
// until the user interrupts. The device is closed on every path.
func serveSim(cmd *cobra.Command, warning string, dev io.Closer, what, scheme string, listen func() (net.Addr, func() error, error)) error {
	fmt.Fprintln(cmd.ErrOrStderr(), "WARNING:", warning)
	addr, serve, err := listen()
	if err != nil {
		dev.Close()
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: --device %s:%s (Ctrl-C stops it)\n", what, scheme, addr)
	return serveUntilInterrupted(cmd, serve, dev.Close)
}

// serveUntilInterrupted runs serve until it fails or the user interrupts;
// either way the device is closed (which ends serve) before returning.
func serveUntilInterrupted(cmd *cobra.Command, serve func() error, closeDev func() error) error {
	ctx, cancel := signalContext(cmd)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve() }()
	select {
	case <-ctx.Done():
		closeDev()
		<-served
		return nil
	case err := <-served:
		closeDev()
		return err
	}
}

// checkLoopback refuses a --listen address off the loopback interface: a
// simulator has no authentication and holds private keys.
func checkLoopback(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("--listen: the simulator has no authentication and holds private keys: listen on a loopback address (127.0.0.1)")
	}
	return nil
}

func newSimTrezorCmd() *cobra.Command {
	var listen, mnemonic, pin, network string
	var passphraseProtection bool
	cmd := &cobra.Command{
		Use:   "trezor [--listen 127.0.0.1:21324] [--mnemonic M] [--pin P] [--passphrase-protection] [--network N]",
		Short: "Serve a simulated Trezor One on the Trezor emulator's UDP port",
		Long: `Serve a simulated Trezor One on a loopback UDP port, speaking the Trezor
emulator's interface (wire protocol v1, 64-byte datagrams, the PINGPING
liveness ping), until interrupted. Open it with --device trezor-udp:HOST:PORT;
trezorlib reaches it as udp:HOST:PORT. Without --mnemonic it uses the public
test seed "all all ... all".

With --pin the device asks for its PIN: the scrambled keypad it would show
on its screen is printed here, and the host types positions. With
--passphrase-protection it asks for a passphrase (entered on the host).
--network picks the coin of the account keys printed at start; the device
answers for Bitcoin, Testnet and Regtest alike, as a Trezor does.

The simulator holds its private key in memory, in the clear: never give it
a mnemonic that guards real funds, and never send real funds to its
addresses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := simFlags(network, listen)
			if err != nil {
				return err
			}
			errOut := cmd.ErrOrStderr()
			dev, warning, err := simtrezor.New(simtrezor.Options{
				Mnemonic: mnemonic, PIN: pin, PassphraseProtection: passphraseProtection,
				Network: n.Params(), Label: "hardfolio sim",
				ShowPIN: func(g [3][3]byte) {
					fmt.Fprintf(errOut, "device screen, PIN keypad:\n  %c %c %c\n  %c %c %c\n  %c %c %c\n",
						g[0][0], g[0][1], g[0][2], g[1][0], g[1][1], g[1][2], g[2][0], g[2][1], g[2][2])
				},
			})
			if err != nil {
				return err
			}
			fpr := dev.MasterFingerprint()
			what := fmt.Sprintf("simulated Trezor One (%s), fingerprint %x", n, fpr[:])
			return serveSim(cmd, warning, dev, what, "trezor-udp", func() (net.Addr, func() error, error) {
				pc, err := net.ListenPacket("udp", listen)
				if err != nil {
					return nil, nil, err
				}
				return pc.LocalAddr(), func() error { return dev.Serve(pc) }, nil
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", simtrezor.DefaultUDPAddr, "loopback UDP address to serve on")
	fs.StringVar(&mnemonic, "mnemonic", "", "BIP39 mnemonic of the simulated seed (default: the public test seed)")
	fs.StringVar(&pin, "pin", "", "protect the device with this PIN (digits 1-9)")
	fs.BoolVar(&passphraseProtection, "passphrase-protection", false, "ask for a BIP39 passphrase")
	fs.StringVar(&network, "network", "testnet", "mainnet, testnet or regtest")
	return cmd
}
