package device

import (
	"context"
	"fmt"
	"io"
	"math/bits"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/btcapp"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/framing"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
)

// ledgerFactory opens Ledger devices running the Bitcoin app (2.1.0 or
// later): over USB HID with the APDU framing, or Speculos over TCP.
type ledgerFactory struct{}

func (ledgerFactory) vendor() string            { return "Ledger" }
func (ledgerFactory) usbVendorID() uint16       { return ledgerVendorID }
func (ledgerFactory) hidScheme() string         { return SchemeHID }
func (ledgerFactory) emulatorSchemes() []string { return []string{SchemeSpeculos} }

func (ledgerFactory) model(h transport.HIDInfo) (string, bool) {
	if h.VendorID != ledgerVendorID || !isLedgerAPDUInterface(h.UsagePage, h.Interface) {
		return "", false
	}
	return ledgerModel(h.ProductID), true
}

func (ledgerFactory) open(ctx context.Context, _ *Hub, u URI, model string) (Device, error) {
	switch u.Scheme {
	case SchemeHID:
		h, err := transport.OpenHID(u.Path)
		if err != nil {
			return nil, err
		}
		return newLedger(u.String(), model, framing.NewConn(h), h), nil
	case SchemeSpeculos:
		s, err := transport.DialSpeculos(ctx, u.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v (is the emulator running? hardfolio sim ledger starts one)", ErrNotFound, u, err)
		}
		return newLedger(u.String(), "Speculos", s, s), nil
	}
	return nil, fmt.Errorf("%w %s", ErrURI, u)
}

// ledger is a Ledger device running the Bitcoin app; held has its locks
// and what is known of it.
type ledger struct {
	held
	client *btcapp.Client
	closer io.Closer
}

func newLedger(uri, model string, ex interface {
	Exchange(context.Context, []byte) ([]byte, error)
}, closer io.Closer) *ledger {
	return &ledger{
		client: btcapp.New(ex),
		closer: closer,
		held:   held{info: Info{Vendor: "Ledger", Model: model, URI: uri}},
	}
}

// Info asks the device which app is open and, in the Bitcoin app, its
// fingerprint. While another command holds the device (the user is
// confirming), it returns what was learnt before, if anything.
func (l *ledger) Info(ctx context.Context) (Info, error) {
	in, busy := l.lockForInfo()
	if busy {
		return in, nil
	}
	defer l.comms.Unlock()
	app, err := l.client.AppAndVersion(ctx)
	if err != nil {
		return in, err
	}
	in.App, in.AppVersion = app.Name, app.Version
	in.HasFingerprint = false
	var ferr error
	if app.Name == "Bitcoin" || app.Name == "Bitcoin Test" {
		var fpr uint32
		fpr, ferr = l.client.MasterFingerprint(ctx)
		if ferr == nil {
			in.Fingerprint, in.HasFingerprint = fpr, true
		}
	}
	l.remember(in)
	return in, ferr
}

func (l *ledger) Fingerprint(ctx context.Context) (uint32, error) {
	l.comms.Lock()
	defer l.comms.Unlock()
	return l.fingerprint(ctx)
}

// fingerprint asks for the fingerprint; comms must be held.
func (l *ledger) fingerprint(ctx context.Context) (uint32, error) {
	fpr, err := l.client.MasterFingerprint(ctx)
	if err != nil {
		return 0, err
	}
	l.rememberFingerprint(fpr)
	return fpr, nil
}

func (l *ledger) Xpub(ctx context.Context, path []uint32, display bool) (string, error) {
	l.comms.Lock()
	defer l.comms.Unlock()
	return l.client.ExtendedPubkey(ctx, path, display)
}

// ledgerKinds maps script types to the app's default policies.
var ledgerKinds = map[Kind]policy.Kind{
	PKH: policy.Legacy, SHWPKH: policy.NestedSegwit, WPKH: policy.NativeSegwit, TR: policy.Taproot,
}

// defaultPolicy is the app's unregistered single-sig policy for desc.
func defaultPolicy(desc DescriptorRef) (policy.Policy, error) {
	k, ok := ledgerKinds[desc.Kind]
	if !ok {
		return policy.Policy{}, fmt.Errorf("%w: script type %q (want pkh, sh-wpkh, wpkh or tr)", ErrUnsupported, desc.Kind)
	}
	return policy.Policy{
		Template: k.Template(),
		Keys:     []string{policy.KeyString(desc.Fingerprint, desc.Account, desc.Xpub)},
	}, nil
}

// Address shows the address through the app's default policy for desc,
// which the app accepts only for its own standard accounts
// (m/44'|49'|84'|86'/coin'/account' with account at most 100).
func (l *ledger) Address(ctx context.Context, desc DescriptorRef, change bool, index uint32, display bool) (string, error) {
	p, err := defaultPolicy(desc)
	if err != nil {
		return "", err
	}
	l.comms.Lock()
	defer l.comms.Unlock()
	fpr, err := l.fingerprint(ctx)
	if err != nil {
		return "", err
	}
	if err := checkSeed(desc.Fingerprint, fpr); err != nil {
		return "", err
	}
	return l.client.WalletAddress(ctx, p, nil, change, index, display)
}

// SignPSBT finds the device's accounts among the inputs' key derivations
// (the device's fingerprint, path purpose'/coin'/account'/change/index),
// runs SIGN_PSBT once per account with its default policy, and inserts
// every signature into a copy of pkt.
func (l *ledger) SignPSBT(ctx context.Context, pkt *psbt.Packet) (*psbt.Packet, error) {
	l.comms.Lock()
	defer l.comms.Unlock()
	fpr, err := l.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	accounts, err := psbtAccounts(pkt, fpr)
	if err != nil {
		return nil, err
	}
	var sigs []btcapp.PartialSignature
	for _, a := range accounts {
		xpub, err := l.client.ExtendedPubkey(ctx, a.Account, false)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", FormatPath(a.Account), err)
		}
		a.Xpub = xpub
		p, err := defaultPolicy(a)
		if err != nil {
			return nil, err
		}
		s, err := l.client.SignPacket(ctx, pkt, p, nil)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s...)
	}
	return btcapp.InsertSignatures(pkt, sigs)
}

func (l *ledger) Close() error { return l.closer.Close() }

// psbtAccounts lists, in input order, the distinct single-sig accounts of
// seed fpr that the inputs of pkt spend from: the script type of the coin
// spent and the first three steps of the key's path. It fails with
// ErrNotOurs when no input has a key of fpr.
func psbtAccounts(pkt *psbt.Packet, fpr uint32) ([]DescriptorRef, error) {
	psbtFpr := bits.ReverseBytes32(fpr) // PSBTs store the 4 bytes little-endian
	var out []DescriptorRef
	seen := map[string]bool{}
	add := func(k Kind, path []uint32) {
		if len(path) < 3 {
			return
		}
		acct := append([]uint32(nil), path[:len(path)-2]...)
		key := string(k) + FormatPath(acct)
		if !seen[key] {
			seen[key] = true
			out = append(out, DescriptorRef{Kind: k, Fingerprint: fpr, Account: acct})
		}
	}
	for i, in := range pkt.Inputs {
		for _, d := range in.TaprootBip32Derivation {
			if d.MasterKeyFingerprint == psbtFpr && len(d.LeafHashes) == 0 {
				add(TR, d.Bip32Path)
			}
		}
		var script []byte
		switch {
		case in.WitnessUtxo != nil:
			script = in.WitnessUtxo.PkScript
		case in.NonWitnessUtxo != nil && i < len(pkt.UnsignedTx.TxIn):
			if n := pkt.UnsignedTx.TxIn[i].PreviousOutPoint.Index; int(n) < len(in.NonWitnessUtxo.TxOut) {
				script = in.NonWitnessUtxo.TxOut[n].PkScript
			}
		}
		var k Kind
		switch {
		case txscript.IsPayToWitnessPubKeyHash(script):
			k = WPKH
		case txscript.IsPayToScriptHash(script) && txscript.IsPayToWitnessPubKeyHash(in.RedeemScript):
			k = SHWPKH
		case txscript.IsPayToPubKeyHash(script):
			k = PKH
		default:
			continue
		}
		for _, d := range in.Bip32Derivation {
			if d.MasterKeyFingerprint == psbtFpr {
				add(k, d.Bip32Path)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no input of the PSBT has a key of seed %08x (the inputs need BIP 32 derivations with the device's fingerprint)", ErrNotOurs, fpr)
	}
	return out, nil
}

// multisigPolicy is the Ledger wallet policy of ms: a descriptor template
// with one placeholder per key, in ms's order (the app sorts the keys of
// sortedmulti itself), and the key strings.
//
//	wsh(sortedmulti(2,@0/**,@1/**,@2/**))     receive 0, change 1
//	sh(wsh(multi(2,@0/<2;3>/*,@1/<2;3>/*)))    other steps
func multisigPolicy(ms Multisig) (policy.Policy, error) {
	if err := policy.ValidateName(ms.Name); err != nil || ms.Name == "" {
		return policy.Policy{}, fmt.Errorf("%w: a multisig wallet needs a name of 1 to %d printable ASCII characters to register", ErrUnsupported, policy.MaxNameLen)
	}
	if ms.Threshold < 1 || ms.Threshold > len(ms.Keys) {
		return policy.Policy{}, fmt.Errorf("%w: threshold %d of %d keys", ErrUnsupported, ms.Threshold, len(ms.Keys))
	}
	fn := "multi"
	if ms.Sorted {
		fn = "sortedmulti"
	}
	t := fmt.Sprintf("%s(%d", fn, ms.Threshold)
	p := policy.Policy{Name: ms.Name}
	for i, k := range ms.Keys {
		if k.Receive == 0 && k.Change == 1 {
			t += fmt.Sprintf(",@%d/**", i)
		} else {
			t += fmt.Sprintf(",@%d/<%d;%d>/*", i, k.Receive, k.Change)
		}
		p.Keys = append(p.Keys, policy.KeyString(k.Fingerprint, k.Path, k.Xpub))
	}
	t += ")"
	switch ms.Script {
	case MultisigWSH:
		t = "wsh(" + t + ")"
	case MultisigSHWSH:
		t = "sh(wsh(" + t + "))"
	case MultisigSH:
		t = "sh(" + t + ")"
	default:
		return policy.Policy{}, fmt.Errorf("%w: multisig script %q (want wsh, sh-wsh or sh)", ErrUnsupported, ms.Script)
	}
	p.Template = t
	return p, nil
}

// ledgerHMAC reads a registration as the 32-byte HMAC of the policy.
func ledgerHMAC(reg Registration) (*[32]byte, error) {
	if len(reg) != 32 {
		return nil, fmt.Errorf("%w: a Ledger registration is a 32-byte HMAC, got %d bytes (register the wallet again)", ErrNotRegistered, len(reg))
	}
	h := [32]byte(reg)
	return &h, nil
}

// RegisterMultisig registers ms as a wallet policy (REGISTER_WALLET): the
// device shows its name, threshold and keys, and the user approves. The
// registration is the policy's HMAC, valid for this device's seed only.
func (l *ledger) RegisterMultisig(ctx context.Context, ms Multisig) (Registration, error) {
	p, err := multisigPolicy(ms)
	if err != nil {
		return nil, err
	}
	l.comms.Lock()
	defer l.comms.Unlock()
	_, hmac, err := l.client.RegisterWallet(ctx, p)
	if err != nil {
		return nil, err
	}
	return Registration(hmac[:]), nil
}

// MultisigAddress asks for an address of a registered multisig policy.
func (l *ledger) MultisigAddress(ctx context.Context, ms Multisig, reg Registration, change bool, index uint32, display bool) (string, error) {
	p, err := multisigPolicy(ms)
	if err != nil {
		return "", err
	}
	hmac, err := ledgerHMAC(reg)
	if err != nil {
		return "", err
	}
	l.comms.Lock()
	defer l.comms.Unlock()
	return l.client.WalletAddress(ctx, p, hmac, change, index, display)
}

// SignPSBTMultisig runs SIGN_PSBT with the registered multisig policy and
// inserts the device's signatures into a copy of pkt.
func (l *ledger) SignPSBTMultisig(ctx context.Context, pkt *psbt.Packet, ms Multisig, reg Registration) (*psbt.Packet, error) {
	p, err := multisigPolicy(ms)
	if err != nil {
		return nil, err
	}
	hmac, err := ledgerHMAC(reg)
	if err != nil {
		return nil, err
	}
	l.comms.Lock()
	defer l.comms.Unlock()
	sigs, err := l.client.SignPacket(ctx, pkt, p, hmac)
	if err != nil {
		return nil, err
	}
	return btcapp.InsertSignatures(pkt, sigs)
}
