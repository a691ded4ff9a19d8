package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// The hw commands talk to a hardware wallet through hw/device: list what is
// attached, read the fingerprint and account keys, show an address on the
// device's screen, sign a PSBT. No private key ever leaves the device.

func newHWCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hw",
		Short: "Talk to a hardware wallet (Ledger, Trezor): keys, addresses, signing",
		Long: `Talk to a hardware wallet: list the attached devices, read the master key
fingerprint and account keys, show an address on the device's screen, and
sign a PSBT. Devices are named by URI (as "hw list" shows them): hid:PATH
for a Ledger on USB, speculos:HOST:PORT for a Ledger emulator,
trezor-hid:PATH for a Trezor One on USB HID, trezor-bridge:HOST:PORT for a
Trezor through the Trezor bridge (Model T, Safe 3, Safe 5, newer Trezor
One firmware), trezor-udp:HOST:PORT for the Trezor emulator.

A Trezor asking for its PIN shows a scrambled keypad: hardfolio asks for
the positions of the digits on it. A passphrase is asked for here too.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newHWListCmd(), newHWFingerprintCmd(), newHWXpubCmd(),
		newHWAddressCmd(g), newHWSignCmd(g), newHWRegisterCmd(g), newHWUdevCmd())
	return cmd
}

// hwTimeout bounds a command that needs no confirmation on the device.
const hwTimeout = 20 * time.Second

// hintedError adds the device's hint for the user to an error's message.
type hintedError struct{ err error }

func (e hintedError) Error() string { return e.err.Error() + "\n  " + device.Hint(e.err) }
func (e hintedError) Unwrap() error { return e.err }

// hwErr returns err with the hint of its device error class, if it has one.
func hwErr(err error) error {
	if err == nil || device.Hint(err) == "" {
		return err
	}
	return hintedError{err}
}

// openDevice opens --device for cmd, with a context that an interrupt
// cancels, bounded by timeout when it is not zero.
func openDevice(cmd *cobra.Command, uri string, timeout time.Duration) (device.Device, context.Context, func(), error) {
	if uri == "" {
		return nil, nil, nil, errors.New("--device is required: a URI from hardfolio hw list (" + deviceURIForms + ")")
	}
	ctx, cancel := signalContext(cmd)
	if timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, timeout)
		prev := cancel
		cancel = func() { c2(); prev() }
	}
	hub := device.NewHub()
	hub.Prompter = newTermPrompter(cmd.InOrStdin(), cmd.ErrOrStderr())
	d, err := hub.Open(ctx, uri)
	if err != nil {
		cancel()
		return nil, nil, nil, hwErr(err)
	}
	return d, ctx, func() { d.Close(); cancel() }, nil
}

// emulatorURIs lists the emulators of the --speculos and --trezor-udp
// flags as the hub takes them: a bare HOST:PORT is Speculos.
func emulatorURIs(speculos, trezorUDP []string) []string {
	out := append([]string(nil), speculos...)
	for _, a := range trezorUDP {
		out = append(out, device.SchemeTrezorUDP+":"+a)
	}
	return out
}

// deviceURIForms are the forms of a device URI, for help and errors.
const deviceURIForms = "hid:PATH, speculos:HOST:PORT, trezor-hid:PATH, trezor-bridge:HOST:PORT or trezor-udp:HOST:PORT"

func addDeviceFlag(cmd *cobra.Command, uri *string) {
	cmd.Flags().StringVar(uri, "device", "", "device URI: "+deviceURIForms+" (see hardfolio hw list)")
}

// ---- list ----

type hwListJSON struct {
	HIDSupported bool           `json:"hid_supported"`
	Devices      []hwDeviceJSON `json:"devices"`
}

type hwDeviceJSON struct {
	URI         string  `json:"uri"`
	Vendor      string  `json:"vendor"`
	Model       string  `json:"model"`
	App         string  `json:"app"`
	AppVersion  string  `json:"app_version"`
	Fingerprint *string `json:"fingerprint"`
	Error       *string `json:"error"`
}

func newHWListCmd() *cobra.Command {
	var speculos, trezorUDP []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--speculos HOST:PORT...] [--trezor-udp HOST:PORT...]",
		Short: "List attached hardware wallets and the given emulators",
		Long: `List the Ledger and Trezor One devices attached over USB, the Trezor
devices a running Trezor bridge sees (127.0.0.1:21325, asked only on the
loopback interface), and the emulators at the --speculos and --trezor-udp
addresses, with the app each runs and its master key fingerprint. A
device that cannot answer (locked, another app open) is listed with the
reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signalContext(cmd)
			defer cancel()
			infos := device.NewHub().List(ctx, emulatorURIs(speculos, trezorUDP))
			out := hwListJSON{HIDSupported: device.HIDSupported(), Devices: []hwDeviceJSON{}}
			for _, in := range infos {
				d := hwDeviceJSON{URI: in.URI, Vendor: in.Vendor, Model: in.Model, App: in.App, AppVersion: in.AppVersion}
				if in.HasFingerprint {
					f := in.FingerprintHex()
					d.Fingerprint = &f
				}
				if in.Err != nil {
					e := in.Err.Error()
					if h := device.Hint(in.Err); h != "" {
						e += ": " + h
					}
					d.Error = &e
				}
				out.Devices = append(out.Devices, d)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			if !out.HIDSupported {
				fmt.Fprintln(cmd.ErrOrStderr(), "hardfolio: built without USB HID support: only emulators (--speculos, --trezor-udp) and the Trezor bridge can be listed")
			}
			if len(out.Devices) == 0 {
				fmt.Fprintln(w, "no device found (on Linux, check the udev rules: hardfolio hw udev)")
				return nil
			}
			t := newTable("URI", "VENDOR", "MODEL", "APP", "VERSION", "FINGERPRINT")
			for _, d := range out.Devices {
				f := "-"
				if d.Fingerprint != nil {
					f = *d.Fingerprint
				}
				t.add(d.URI, d.Vendor, d.Model, orDash(d.App), orDash(d.AppVersion), f)
			}
			t.write(w, "")
			for _, d := range out.Devices {
				if d.Error != nil {
					fmt.Fprintf(w, "%s: %s\n", d.URI, *d.Error)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&speculos, "speculos", nil, "also ask the Ledger emulator at HOST:PORT (repeatable)")
	cmd.Flags().StringSliceVar(&trezorUDP, "trezor-udp", nil, "also ask the Trezor emulator at HOST:PORT (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ---- fingerprint ----

type hwFingerprintJSON struct {
	Device      string `json:"device"`
	Fingerprint string `json:"fingerprint"`
}

func newHWFingerprintCmd() *cobra.Command {
	var uri string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fingerprint --device URI",
		Short: "Print the device's master key fingerprint",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, ctx, done, err := openDevice(cmd, uri, hwTimeout)
			if err != nil {
				return err
			}
			defer done()
			fpr, err := d.Fingerprint(ctx)
			if err != nil {
				return hwErr(err)
			}
			out := hwFingerprintJSON{Device: uri, Fingerprint: fmt.Sprintf("%08x", fpr)}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.Fingerprint)
			return nil
		},
	}
	addDeviceFlag(cmd, &uri)
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

// ---- xpub ----

type hwXpubJSON struct {
	Device      string `json:"device"`
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
	Xpub        string `json:"xpub"`
	Key         string `json:"key"`
}

func newHWXpubCmd() *cobra.Command {
	var uri string
	var display, asJSON bool
	cmd := &cobra.Command{
		Use:   "xpub PATH --device URI [--display]",
		Short: "Print the extended public key at a path (e.g. m/84h/0h/0h)",
		Long: `Print the extended public key at PATH (hardened steps marked h or '),
as xpub (the Bitcoin app) or tpub (the Bitcoin Test app), and the key with
its origin as a descriptor takes it. With --display the device shows the
key and waits for approval; a path outside the app's standard accounts
(purpose 44', 49', 84', 86', 48' or 45', the app's coin type, account at
most 100') is refused without it.`,
		Example: "  hardfolio hw xpub m/84h/0h/0h --device hid:1-2:1.0",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := device.ParsePath(args[0])
			if err != nil {
				return err
			}
			d, ctx, done, err := openDevice(cmd, uri, 0)
			if err != nil {
				return err
			}
			defer done()
			fpr, err := d.Fingerprint(ctx)
			if err != nil {
				return hwErr(err)
			}
			if display {
				fmt.Fprintln(cmd.ErrOrStderr(), "hardfolio: check the key on the device and approve it")
			}
			xpub, err := d.Xpub(ctx, path, display)
			if err != nil {
				return hwErr(err)
			}
			p := device.FormatPath(path)
			out := hwXpubJSON{Device: uri, Path: p, Fingerprint: fmt.Sprintf("%08x", fpr), Xpub: xpub,
				Key: fmt.Sprintf("[%08x%s]%s", fpr, strings.TrimPrefix(p, "m"), xpub)}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.Xpub)
			return nil
		},
	}
	addDeviceFlag(cmd, &uri)
	cmd.Flags().BoolVar(&display, "display", false, "show the key on the device for approval")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

// ---- address ----

// hwDescriptor maps a single-sig descriptor to what the device needs for
// its default policy: the script type from the top-level function, the
// origin and the account key from the key expression. It also returns the
// descriptor parsed, to derive the address locally. The key must have an
// origin, and its chains must be /0/* and /1/* (or /<0;1>/*) below the
// account key, as the device's default policies have them.
func hwDescriptor(text string) (device.DescriptorRef, *descriptor.Descriptor, error) {
	text = strings.TrimSpace(text)
	d, err := descriptor.Parse(text, descriptor.Mainnet)
	if errors.Is(err, descriptor.ErrNetwork) {
		d, err = descriptor.Parse(text, descriptor.Testnet)
	}
	if err != nil {
		return device.DescriptorRef{}, nil, err
	}
	kinds := map[descriptor.ScriptType]device.Kind{
		descriptor.PKH: device.PKH, descriptor.SHWPKH: device.SHWPKH,
		descriptor.WPKH: device.WPKH, descriptor.TR: device.TR,
	}
	ref := device.DescriptorRef{Kind: kinds[d.Type()], Xpub: d.ExtendedKey()}
	if ref.Xpub == "" || !d.IsRange() {
		return ref, nil, errors.New("the key must be an extended public key with a /* step (an account's chains)")
	}
	origin, ok := d.Origin()
	if !ok {
		return ref, nil, errors.New("the key has no origin [fingerprint/path]: the device needs it to recognise the account")
	}
	ref.Fingerprint = uint32(origin.Fingerprint[0])<<24 | uint32(origin.Fingerprint[1])<<16 |
		uint32(origin.Fingerprint[2])<<8 | uint32(origin.Fingerprint[3])
	ref.Account = origin.Path
	// The steps below the account key must be exactly chain/index.
	for _, change := range []bool{false, true} {
		if change && !d.HasChange() {
			continue
		}
		got, err := d.Derive(change, 7)
		if err != nil {
			return ref, nil, err
		}
		chain := uint32(0)
		if change {
			chain = 1
		}
		if want := append(slices.Clone(origin.Path), chain, 7); !slices.Equal(got.Origin.Path, want) {
			return ref, nil, fmt.Errorf("the key's chains must be /0/* and /1/* (or /<0;1>/*) below the account key, as the device derives them")
		}
	}
	return ref, d, nil
}

type hwAddressJSON struct {
	Device   string `json:"device"`
	Address  string `json:"address"`
	Change   bool   `json:"change"`
	Index    uint32 `json:"index"`
	Path     string `json:"path"`
	Verified bool   `json:"verified"`
}

func newHWAddressCmd(g *globals) *cobra.Command {
	var uri, desc string
	var index uint32
	var change, display, asJSON bool
	cmd := &cobra.Command{
		Use:   "address --device URI --descriptor D --index I [--change] [--display]",
		Short: "Get an address from the device and check it against the descriptor",
		Long: `Ask the device for the address at --index of a single-sig account (pkh,
sh(wpkh), wpkh or tr with the key's origin, as "hardfolio wallet list"
shows it) or of a multisig wallet registered with "hw register", check it
against the address the descriptor derives here, and print it. With --display the device shows it too: compare it with the
screen before receiving to it.`,
		Example: `  hardfolio hw address --device hid:1-2:1.0 --descriptor "wpkh([73c5da0a/84h/0h/0h]xpub.../<0;1>/*)" --index 0 --display`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if descriptor.IsMultisig(desc) {
				return g.multisigAddress(cmd, uri, desc, change, index, display, asJSON)
			}
			ref, d, err := hwDescriptor(desc)
			if err != nil {
				return fmt.Errorf("--descriptor: %w", err)
			}
			if change && !d.HasChange() {
				return errors.New("--change: the descriptor has no change chain (no /<0;1>/* step)")
			}
			local, err := d.Derive(change, index)
			if err != nil {
				return fmt.Errorf("--index: %w", err)
			}
			out := hwAddressJSON{Device: uri, Address: local.Address, Change: change, Index: index, Path: local.Origin.String(), Verified: true}
			return showAddress(cmd, &out, display, asJSON, func(ctx context.Context, dev device.Device) (string, error) {
				return dev.Address(ctx, ref, change, index, display)
			})
		},
	}
	addDeviceFlag(cmd, &uri)
	cmd.Flags().StringVar(&desc, "descriptor", "", "the account's output descriptor, key with origin")
	cmd.Flags().Uint32Var(&index, "index", 0, "address index")
	cmd.Flags().BoolVar(&change, "change", false, "an address of the change chain")
	cmd.Flags().BoolVar(&display, "display", false, "show the address on the device")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	_ = cmd.MarkFlagRequired("descriptor")
	_ = cmd.MarkFlagRequired("index")
	return cmd
}

// showAddress opens the device, has ask get the address from it (shown
// on its screen with display), checks it against out.Address, derived
// here, and prints it. A mismatch is an error.
func showAddress(cmd *cobra.Command, out *hwAddressJSON, display, asJSON bool, ask func(context.Context, device.Device) (string, error)) error {
	timeout := hwTimeout
	if display {
		timeout = 0
	}
	dev, ctx, done, err := openDevice(cmd, out.Device, timeout)
	if err != nil {
		return err
	}
	defer done()
	if display {
		fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: check that the device shows %s and approve it\n", out.Address)
	}
	addr, err := ask(ctx, dev)
	if err != nil {
		return hwErr(err)
	}
	if addr != out.Address {
		return fmt.Errorf("the device gives %s but the descriptor derives %s: do not use either before finding out why", addr, out.Address)
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), out)
	}
	fmt.Fprintln(cmd.OutOrStdout(), addr)
	return nil
}

// ---- sign ----

// signedInputs counts the inputs with at least one signature or finalized.
func signedInputs(p *psbt.Packet) int {
	n := 0
	for _, in := range p.Inputs {
		if len(in.PartialSigs) > 0 || len(in.TaprootKeySpendSig) > 0 || len(in.TaprootScriptSpendSig) > 0 ||
			in.FinalScriptSig != nil || in.FinalScriptWitness != nil {
			n++
		}
	}
	return n
}

func newHWSignCmd(g *globals) *cobra.Command {
	var uri, out string
	cmd := &cobra.Command{
		Use:   "sign FILE --device URI [-o OUT]",
		Short: "Sign a PSBT on the device",
		Long: `Send a PSBT to the device, approve it on the device's screen, and write the
PSBT with the device's signatures to OUT (default FILE.signed.psbt; FILE
itself only when -o names it), atomically, in FILE's format (base64 or
binary). The device signs the inputs whose key derivations carry its
fingerprint, single-sig and of the multisig wallets registered on it; finalize and broadcast with "hardfolio wallet psbt finalize"
and "hardfolio wallet broadcast".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			p, format, err := readPSBTFormat(in)
			if err != nil {
				return err
			}
			if out == "" {
				out = wallet.SignedPSBTPath(in)
			}
			before := signedInputs(p)
			d, ctx, done, err := openDevice(cmd, uri, 0)
			if err != nil {
				return err
			}
			defer done()
			fpr, err := d.Fingerprint(ctx)
			if err != nil {
				return hwErr(err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "hardfolio: check the transaction on the device and approve it")
			signed, err := service.SignWith(ctx, allSigner{d, g.registrations(fpr)}, p)
			if err != nil {
				return hwErr(err)
			}
			if err := wallet.WritePSBTFile(out, signed.Packet, format); err != nil {
				return err
			}
			state := "complete: finalize and broadcast it"
			if !signed.Complete {
				state = "more signatures needed"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed %d of %d inputs (%d before; %s); wrote %s\n",
				signedInputs(signed.Packet), len(signed.Packet.Inputs), before, state, out)
			return nil
		},
	}
	addDeviceFlag(cmd, &uri)
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write the signed PSBT to (default FILE.signed.psbt)")
	return cmd
}

// readPSBTFormat reads a PSBT file and tells its format, so that a
// signed copy is written in the same one.
func readPSBTFormat(path string) (*psbt.Packet, wallet.Format, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	p, err := wallet.ParsePSBT(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if bytes.HasPrefix(raw, []byte("psbt\xff")) {
		return p, wallet.Binary, nil
	}
	return p, wallet.Base64, nil
}

// ---- udev ----

func newHWUdevCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "udev",
		Short: "Print Linux udev rules that give access to hardware wallets",
		Long: `Print Linux udev rules that let the user at the seat, and members of the
plugdev group, open Ledger devices without root. Save them as
/etc/udev/rules.d/20-hardfolio.rules, reload udev and replug the device:

  hardfolio hw udev | sudo tee /etc/udev/rules.d/20-hardfolio.rules
  sudo udevadm control --reload-rules && sudo udevadm trigger`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), device.UdevRules())
			return err
		},
	}
}
