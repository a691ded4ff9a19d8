package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// Multisig wallets on a hardware wallet: "hw register" has the device
// approve a multisig descriptor and keeps what it returns (a Ledger's
// policy HMAC) in the portfolio's [[registration]] entries, per wallet and
// device; "hw address" and "hw sign" present it again, so the device does
// not ask a second time.

// parseMultisig reads a multisig descriptor on mainnet, else on the test
// networks (whose keys are the same tpubs), and describes it for a device.
func parseMultisig(text, name string) (*descriptor.Multisig, device.Multisig, error) {
	text = strings.TrimSpace(text)
	m, err := descriptor.ParseMultisig(text, descriptor.Mainnet)
	if errors.Is(err, descriptor.ErrNetwork) {
		m, err = descriptor.ParseMultisig(text, descriptor.Testnet)
	}
	if err != nil {
		return nil, device.Multisig{}, err
	}
	ms := device.Multisig{Name: name, Script: device.MultisigScript(m.Wrap()), Sorted: m.Sorted(), Threshold: m.Threshold()}
	for _, k := range m.Keys() {
		fp := k.Origin.Fingerprint
		ms.Keys = append(ms.Keys, device.MultisigKey{
			Fingerprint: binary.BigEndian.Uint32(fp[:]),
			Path:        k.Origin.Path, Xpub: k.Xpub, Receive: k.Receive, Change: k.Change,
		})
	}
	return m, ms, nil
}

// registrations returns the multisig wallets registered on the device with
// fingerprint fpr, read from the portfolio without locking or creating it.
func (g *globals) registrations(fpr uint32) []device.RegisteredMultisig {
	p := g.peek()
	if p == nil {
		return nil
	}
	var out []device.RegisteredMultisig
	for _, r := range p.Registrations {
		if r.Fingerprint != fmt.Sprintf("%08x", fpr) {
			continue
		}
		_, ms, err := parseMultisig(r.Descriptor, r.Name)
		data, herr := hex.DecodeString(r.Data)
		if err == nil && herr == nil {
			out = append(out, device.RegisteredMultisig{Multisig: ms, Registration: data})
		}
	}
	return out
}

// registered returns the registration of the multisig descriptor m on the
// device with fingerprint fpr, with the name it was registered under.
func (g *globals) registered(m *descriptor.Multisig, text string, fpr uint32) (device.Multisig, device.Registration, error) {
	p := g.peek()
	var r *portfolio.Registration
	if p != nil {
		r = p.Registration(m.String(), fmt.Sprintf("%08x", fpr))
	}
	if r == nil {
		return device.Multisig{}, nil, fmt.Errorf("%w: this multisig wallet is not registered on the device %08x: run hardfolio hw register first", device.ErrNotRegistered, fpr)
	}
	_, ms, err := parseMultisig(text, r.Name)
	if err != nil {
		return ms, nil, err
	}
	data, err := hex.DecodeString(r.Data)
	return ms, data, err
}

type hwRegisterJSON struct {
	Device       string `json:"device"`
	Fingerprint  string `json:"fingerprint"`
	Name         string `json:"name"`
	Descriptor   string `json:"descriptor"`
	Registration string `json:"registration"`
}

func newHWRegisterCmd(g *globals) *cobra.Command {
	var uri, desc, name, walletID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "register --device URI (--descriptor D --name NAME | --wallet ID [--name NAME])",
		Short: "Register a multisig wallet on the device, once, for addresses and signing",
		Long: `Show a multisig wallet (wsh, sh(wsh) or sh of multi or sortedmulti, keys
with origins and /<0;1>/*) on the device for approval, under NAME (1 to 64
printable ASCII characters, what the device shows), and keep what the
device returns in the portfolio, per wallet and device, so that
"hw address" and "hw sign" need no new approval. One of the keys must be
the device's. Register it on each cosigner's device. --wallet takes the
descriptor of a multisig wallet of the portfolio, and its name unless
--name is given.`,
		Example: `  hardfolio hw register --device hid:1-2:1.0 --name "Family vault" \
    --descriptor "wsh(sortedmulti(2,[f5acc2fd/48h/1h/0h/2h]tpub.../<0;1>/*,[73c5da0a/48h/1h/0h/2h]tpub.../<0;1>/*,...))"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := g.openWritable(cmd)
			if err != nil {
				return err
			}
			defer b.Close()
			switch {
			case (desc == "") == (walletID == ""):
				return errors.New("give --descriptor (with --name) or --wallet")
			case walletID != "":
				cfg := b.Portfolio().WalletConfig(walletID)
				if cfg == nil {
					return fmt.Errorf("--wallet: no wallet with ID %q (see: hardfolio wallet list)", walletID)
				}
				if !descriptor.IsMultisig(cfg.Descriptor) {
					return fmt.Errorf("--wallet: wallet %q is single-sig: only multisig wallets are registered", walletID)
				}
				desc = cfg.Descriptor
				if name == "" {
					name = cfg.Name
				}
				if name == "" {
					return fmt.Errorf("--wallet: wallet %q has no name: give --name, what the device shows", walletID)
				}
			case name == "":
				return errors.New("--name is required with --descriptor: what the device shows")
			}
			m, ms, err := parseMultisig(desc, name)
			if err != nil {
				return fmt.Errorf("--descriptor: %w", err)
			}
			dev, ctx, done, err := openDevice(cmd, uri, 0)
			if err != nil {
				return err
			}
			defer done()
			md, fpr, err := multisigDevice(ctx, dev)
			if err != nil {
				return hwErr(err)
			}
			ours := false
			for _, k := range ms.Keys {
				ours = ours || k.Fingerprint == fpr
			}
			if !ours {
				return fmt.Errorf("%w: no key of the descriptor is of the device's seed %08x", device.ErrNotOurs, fpr)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "hardfolio: check the wallet's name, threshold and every key on the device, and approve")
			reg, err := md.RegisterMultisig(ctx, ms)
			if err != nil {
				return hwErr(err)
			}
			r := portfolio.Registration{Descriptor: m.String(), Name: name, Fingerprint: fmt.Sprintf("%08x", fpr), Data: hex.EncodeToString(reg)}
			next, err := b.Portfolio().WithRegistration(r)
			if err != nil {
				return err
			}
			if err := b.Save(next); err != nil {
				return err
			}
			out := hwRegisterJSON{Device: uri, Fingerprint: r.Fingerprint, Name: name, Descriptor: r.Descriptor, Registration: r.Data}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "registered %q on the device %s; kept in the portfolio\n", name, r.Fingerprint)
			return nil
		},
	}
	addDeviceFlag(cmd, &uri)
	cmd.Flags().StringVar(&desc, "descriptor", "", "the multisig wallet's descriptor")
	cmd.Flags().StringVar(&name, "name", "", "the name the device shows and keeps the wallet under")
	cmd.Flags().StringVar(&walletID, "wallet", "", "register this multisig wallet of the portfolio (its descriptor, and its name by default)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	cmd.MarkFlagsMutuallyExclusive("descriptor", "wallet")
	_ = cmd.RegisterFlagCompletionFunc("wallet", g.completeWalletIDs)
	return cmd
}

// allSigner signs with a device's single-sig accounts and its registered
// multisig wallets (device.SignAll), as one service.Signer.
type allSigner struct {
	d       device.Device
	wallets []device.RegisteredMultisig
}

func (s allSigner) SignPSBT(ctx context.Context, pkt *psbt.Packet) (*psbt.Packet, error) {
	return device.SignAll(ctx, s.d, pkt, s.wallets)
}

// multisigAddress is "hw address" for a multisig descriptor: the address
// the device gives for its registration, checked against the keys'.
func (g *globals) multisigAddress(cmd *cobra.Command, uri, desc string, change bool, index uint32, display, asJSON bool) error {
	m, _, err := parseMultisig(desc, "")
	if err != nil {
		return fmt.Errorf("--descriptor: %w", err)
	}
	local, err := m.Derive(change, index)
	if err != nil {
		return fmt.Errorf("--index: %w", err)
	}
	out := hwAddressJSON{Device: uri, Address: local.Address, Change: change, Index: index, Verified: true}
	return showAddress(cmd, &out, display, asJSON, func(ctx context.Context, dev device.Device) (string, error) {
		md, fpr, err := multisigDevice(ctx, dev)
		if err != nil {
			return "", err
		}
		ms, reg, err := g.registered(m, desc, fpr)
		if err != nil {
			return "", err
		}
		for _, k := range local.Keys {
			if binary.BigEndian.Uint32(k.Origin.Fingerprint[:]) == fpr {
				out.Path = k.Origin.String()
			}
		}
		return md.MultisigAddress(ctx, ms, reg, change, index, display)
	})
}

// multisigDevice reads the device's fingerprint and checks that it takes
// multisig wallets.
func multisigDevice(ctx context.Context, dev device.Device) (device.MultisigDevice, uint32, error) {
	fpr, err := dev.Fingerprint(ctx)
	if err != nil {
		return nil, 0, err
	}
	md, ok := dev.(device.MultisigDevice)
	if !ok {
		return nil, 0, fmt.Errorf("%w: this device does not take multisig wallets", device.ErrUnsupported)
	}
	return md, fpr, nil
}

// walletSigner is what signs pkt for wallet w on the device dev: the
// device itself for a single-sig wallet. For a multisig wallet it is the
// device with the wallet's registration on it, after checking that the
// device holds one of the cosigners' keys, that it is registered (else
// the error says to run "hw register") and that it has not signed every
// input already.
func (g *globals) walletSigner(ctx context.Context, dev device.Device, w *wallet.Wallet, pkt *psbt.Packet) (service.Signer, error) {
	if !w.IsMultisig() {
		return dev, nil
	}
	fpr, err := dev.Fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	m := w.Multisig
	var cosigners []string
	ours := false
	for _, k := range m.Keys() {
		fp := binary.BigEndian.Uint32(k.Origin.Fingerprint[:])
		ours = ours || fp == fpr
		cosigners = append(cosigners, fmt.Sprintf("%08x", fp))
	}
	if !ours {
		return nil, fmt.Errorf("%w: wallet %q is signed by %s; this device is %08x", device.ErrNotOurs, w.ID, strings.Join(cosigners, ", "), fpr)
	}
	if wallet.SignedBy(pkt, fpr) {
		return nil, fmt.Errorf("the device %08x has signed every input already: sign with another cosigner (%s)", fpr, strings.Join(cosigners, ", "))
	}
	ms, reg, err := g.registered(m, m.String(), fpr)
	if err != nil {
		if errors.Is(err, device.ErrNotRegistered) {
			return nil, fmt.Errorf("%w: hardfolio hw register --device URI --wallet %s", err, w.ID)
		}
		return nil, err
	}
	return allSigner{dev, []device.RegisteredMultisig{{Multisig: ms, Registration: reg}}}, nil
}
