package descriptor

// Multisig descriptors, for the hardware wallets that sign for them:
//
//	wsh(multi(k,KEY,...))        wsh(sortedmulti(k,KEY,...))       P2WSH
//	sh(wsh(multi(k,KEY,...)))    sh(wsh(sortedmulti(k,KEY,...)))   P2SH-P2WSH
//	sh(multi(k,KEY,...))         sh(sortedmulti(k,KEY,...))        P2SH
//
// Each KEY is an extended public key with its origin, one multipath step
// and a final "/*" (KEY/<0;1>/*): the form of BIP 48 accounts and of the
// wallet policies devices register. A Multisig is read and derived here
// so that what a device shows can be checked against what the cosigners'
// keys give, and the watch-only wallet syncs, pays from and exports them.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// Wrap is how a multisig script is paid to.
type Wrap string

// The multisig wrappers.
const (
	WrapWSH   Wrap = "wsh"    // P2WSH
	WrapSHWSH Wrap = "sh-wsh" // P2SH-P2WSH
	WrapSH    Wrap = "sh"     // P2SH (legacy)
)

// The most keys a multisig takes: 15 for P2SH (its 520-byte redeem
// script), 20 for the segwit forms (OP_CHECKMULTISIG's limit).
const (
	maxKeysSH  = 15
	maxKeysWSH = 20
)

// Multisig is a parsed multisig descriptor bound to a network.
type Multisig struct {
	wrap   Wrap
	k      int
	sorted bool
	keys   []*key
	net    Network

	// perKey derives each cosigner's keys through a single-key descriptor
	// of it, with the fast batched derivation of derive.go; made once.
	perKey *perKey
}

type perKey struct {
	once  sync.Once
	descs []*Descriptor
}

// keyDescs returns one single-key descriptor per cosigner's key, whose
// receive and change chains are the key's.
func (m *Multisig) keyDescs() []*Descriptor {
	m.perKey.once.Do(func() {
		for _, k := range m.keys {
			m.perKey.descs = append(m.perKey.descs, newDescriptor(WPKH, m.net, k))
		}
	})
	return m.perKey.descs
}

// MultisigKey is one cosigner's key as the descriptor gives it.
type MultisigKey struct {
	Origin          KeyOrigin // the key's origin: master fingerprint and account path
	Xpub            string    // the account's extended public key (xpub/tpub)
	Receive, Change uint32    // the two steps of the multipath "<a;b>", receive first
}

// ParseMultisig reads a multisig descriptor for network net (see the
// comment at the top of this file). The "#checksum" suffix is optional
// and checked when present. Errors are *Error values, as for Parse.
func ParseMultisig(desc string, net Network) (*Multisig, error) {
	if !net.valid() {
		return nil, errNoPos(ErrNetwork, "unknown network %d", net)
	}
	if at := findPrivate(desc); at >= 0 {
		return nil, errAt(at, ErrPrivateKey, "private key refused: hardfolio is watch-only and never takes private keys")
	}
	payload, err := StripChecksum(desc)
	if err != nil {
		return nil, err
	}
	if _, err := Checksum(payload); err != nil {
		return nil, err
	}
	c, ok, err := parseCall(payload, 0)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errAt(0, ErrSyntax, "expected a script expression such as wsh(sortedmulti(2,KEY,KEY,KEY))")
	}
	m := &Multisig{net: net, perKey: &perKey{}}
	switch c.name {
	case "wsh":
		m.wrap = WrapWSH
	case "sh":
		m.wrap = WrapSH
	default:
		return nil, errAt(0, ErrUnsupported, "%s() is not a multisig wrapper: want wsh(), sh(wsh()) or sh()", c.name)
	}
	inner, ok, err := parseCall(c.args, c.argsOff)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errAt(c.argsOff, ErrSyntax, "%s() takes a script expression", c.name)
	}
	if m.wrap == WrapSH && inner.name == "wsh" {
		m.wrap = WrapSHWSH
		if inner, ok, err = parseCall(inner.args, inner.argsOff); err != nil {
			return nil, err
		} else if !ok {
			return nil, errAt(inner.argsOff, ErrSyntax, "wsh() takes a script expression")
		}
	}
	switch inner.name {
	case "multi":
	case "sortedmulti":
		m.sorted = true
	default:
		return nil, errAt(inner.nameOff, ErrUnsupported, "%s() is not multi() or sortedmulti()", inner.name)
	}
	if err := m.parseArgs(inner.args, inner.argsOff); err != nil {
		return nil, err
	}
	return m, nil
}

// parseArgs reads "k,KEY,KEY,...".
func (m *Multisig) parseArgs(s string, off int) error {
	parts := strings.Split(s, ",")
	if len(parts) < 2 {
		return errAt(off, ErrSyntax, "multi() takes a threshold and at least one key")
	}
	k, err := strconv.Atoi(parts[0])
	if err != nil || strconv.Itoa(k) != parts[0] {
		return errAt(off, ErrSyntax, "threshold %q is not a number", parts[0])
	}
	n := len(parts) - 1
	limit := maxKeysWSH
	if m.wrap == WrapSH {
		limit = maxKeysSH
	}
	switch {
	case k < 1 || k > n:
		return errAt(off, ErrSyntax, "threshold %d of %d keys: want 1 to %d", k, n, n)
	case n > limit:
		return errAt(off, ErrUnsupported, "%d keys: %s allows at most %d", n, m.wrap, limit)
	}
	m.k = k
	pos := off + len(parts[0]) + 1
	for _, p := range parts[1:] {
		key, err := parseKey(p, pos, m.net, 0)
		if err != nil {
			return err
		}
		switch {
		case key.ext == nil:
			return errAt(pos, ErrUnsupported, "a multisig key must be an extended public key with /<0;1>/*, not a hex key")
		case key.origin == nil:
			return errAt(pos, ErrSyntax, "a multisig key needs its origin [fingerprint/path], for the devices to know their own")
		case key.multiAt != 0 || len(key.path) != 1 || len(key.multi) != 2 || !key.wildcard:
			return errAt(pos, ErrUnsupported, "a multisig key must end in /<a;b>/* (receive and change), as in xpub.../<0;1>/*")
		}
		for _, o := range m.keys {
			if o.ext.text == key.ext.text {
				return errAt(pos, ErrSyntax, "the same key appears twice")
			}
		}
		m.keys = append(m.keys, key)
		pos += len(p) + 1
	}
	return nil
}

// Wrap returns how the script is paid to.
func (m *Multisig) Wrap() Wrap { return m.wrap }

// Threshold returns k, the number of signatures needed.
func (m *Multisig) Threshold() int { return m.k }

// Sorted reports whether the keys are sorted in each script
// (sortedmulti, BIP 67) rather than taken in the descriptor's order.
func (m *Multisig) Sorted() bool { return m.sorted }

// Network returns the network the descriptor was read for.
func (m *Multisig) Network() Network { return m.net }

// Keys returns the cosigners' keys in the descriptor's order.
func (m *Multisig) Keys() []MultisigKey {
	out := make([]MultisigKey, len(m.keys))
	for i, k := range m.keys {
		out[i] = MultisigKey{Origin: k.origin.clone(), Xpub: k.ext.text, Receive: k.multi[0], Change: k.multi[1]}
	}
	return out
}

// String returns the canonical descriptor with its checksum.
func (m *Multisig) String() string {
	s := m.text((*key).String)
	sum, _ := Checksum(s)
	return s + "#" + sum
}

// text writes the descriptor without checksum, each key as keyText
// writes it.
func (m *Multisig) text(keyText func(*key) string) string {
	var b strings.Builder
	fn := "multi"
	if m.sorted {
		fn = "sortedmulti"
	}
	b.WriteString(fn + "(" + strconv.Itoa(m.k))
	for _, k := range m.keys {
		b.WriteString("," + keyText(k))
	}
	b.WriteString(")")
	s := b.String()
	switch m.wrap {
	case WrapWSH:
		return "wsh(" + s + ")"
	case WrapSHWSH:
		return "sh(wsh(" + s + "))"
	}
	return "sh(" + s + ")"
}

// MultisigDerived is one output of a multisig descriptor.
type MultisigDerived struct {
	Change bool
	Index  uint32
	// Keys are the cosigners' keys at this output, in the descriptor's
	// order (not the script's): PubKey and Origin (the full derivation
	// from each key's master fingerprint).
	Keys []Derived
	// Script is the multisig script: the witness script of wsh and
	// sh(wsh), the redeem script of sh.
	Script        []byte
	WitnessScript []byte // wsh, sh(wsh)
	RedeemScript  []byte // sh(wsh): OP_0 <sha256(script)>; sh: the multisig script
	PkScript      []byte // the output script
	Address       string
}

// Derive returns the output at index of the receive chain, or of the
// change chain when change is set.
func (m *Multisig) Derive(change bool, index uint32) (MultisigDerived, error) {
	if index >= 1<<31 {
		return MultisigDerived{Change: change, Index: index}, errNoPos(ErrRange, "index %d is hardened: watch-only derivation stops at 2147483647", index)
	}
	out, err := m.DeriveRange(change, index, 1)
	if err != nil {
		return MultisigDerived{Change: change, Index: index}, err
	}
	return out[0], nil
}

// assemble makes the output at index from the cosigners' keys there, in
// the descriptor's order.
func (m *Multisig) assemble(change bool, index uint32, keys []Derived) (MultisigDerived, error) {
	out := MultisigDerived{Change: change, Index: index, Keys: keys}
	pubs := make([][]byte, len(keys))
	for i, k := range keys {
		pubs[i] = k.PubKey
	}
	ordered := append([][]byte(nil), pubs...)
	if m.sorted {
		sort.Slice(ordered, func(i, j int) bool { return bytes.Compare(ordered[i], ordered[j]) < 0 })
	}
	b := txscript.NewScriptBuilder().AddInt64(int64(m.k))
	for _, p := range ordered {
		b.AddData(p)
	}
	script, err := b.AddInt64(int64(len(ordered))).AddOp(txscript.OP_CHECKMULTISIG).Script()
	if err != nil {
		return out, errNoPos(ErrInvalidKey, "multisig script: %v", err)
	}
	out.Script = script
	params := m.net.Params()
	h := sha256.Sum256(script)
	switch m.wrap {
	case WrapWSH:
		out.WitnessScript = script
		out.PkScript = append([]byte{txscript.OP_0, txscript.OP_DATA_32}, h[:]...)
		out.Address, err = segwitAddress(params.Bech32HRPSegwit, 0, h[:])
	case WrapSHWSH:
		out.WitnessScript = script
		out.RedeemScript = append([]byte{txscript.OP_0, txscript.OP_DATA_32}, h[:]...)
		out.PkScript, out.Address, err = p2sh(out.RedeemScript, m.net)
	default:
		if len(script) > txscript.MaxScriptElementSize {
			return out, errNoPos(ErrUnsupported, "redeem script of %d bytes: P2SH allows %d", len(script), txscript.MaxScriptElementSize)
		}
		out.RedeemScript = script
		out.PkScript, out.Address, err = p2sh(script, m.net)
	}
	return out, err
}

// p2sh returns the output script and address paying to a redeem script.
func p2sh(redeem []byte, net Network) ([]byte, string, error) {
	a, err := btcutil.NewAddressScriptHash(redeem, net.Params())
	if err != nil {
		return nil, "", errNoPos(ErrInvalidKey, "address: %v", err)
	}
	pk := append([]byte{txscript.OP_HASH160, txscript.OP_DATA_20}, a.ScriptAddress()...)
	return append(pk, txscript.OP_EQUAL), a.EncodeAddress(), nil
}

// IsMultisig tells whether desc is written as a multisig descriptor:
// wsh(...), sh(wsh(...)), sh(multi(...)) or sh(sortedmulti(...)). It only
// looks at the script expressions' names, so that a caller can send the
// text to ParseMultisig, whose errors then say what is wrong with it.
func IsMultisig(desc string) bool {
	s := strings.TrimSpace(desc)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	switch {
	case strings.HasPrefix(s, "wsh("):
		return true
	case strings.HasPrefix(s, "sh("):
		inner := s[len("sh("):]
		return strings.HasPrefix(inner, "wsh(") || strings.HasPrefix(inner, "multi(") || strings.HasPrefix(inner, "sortedmulti(")
	}
	return false
}

// N returns the number of cosigners' keys.
func (m *Multisig) N() int { return len(m.keys) }

// Chains returns the descriptors of the receive and change chains alone,
// each with its checksum: the multipath descriptor expanded as BIP 389
// says, for wallets that take one descriptor per chain.
func (m *Multisig) Chains() (receive, change string) {
	one := func(i int) string {
		c := *m
		c.keys = make([]*key, len(m.keys))
		for j, k := range m.keys {
			kk := *k
			kk.path = append([]uint32(nil), k.path...)
			kk.path[k.multiAt] = k.multi[i]
			kk.multiAt, kk.multi = -1, nil
			c.keys[j] = &kk
		}
		return c.String()
	}
	return one(0), one(1)
}

// DeriveRange returns the outputs at indexes from..from+count-1 of the
// receive chain, or of the change chain when change is set. Each
// cosigner's chain key is derived once for the whole range.
func (m *Multisig) DeriveRange(change bool, from, count uint32) ([]MultisigDerived, error) {
	if count == 0 {
		return nil, nil
	}
	if uint64(from)+uint64(count) > 1<<31 {
		return nil, errNoPos(ErrRange, "indexes %d to %d: watch-only derivation stops at 2147483647", from, uint64(from)+uint64(count)-1)
	}
	per := make([][]Derived, len(m.keys))
	for i, d := range m.keyDescs() {
		ds, err := d.DeriveRange(change, from, count)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		if len(ds) != int(count) {
			return nil, errNoPos(ErrInvalidChild, "key %d has no child at one of the indexes %d to %d", i+1, from, uint64(from)+uint64(count)-1)
		}
		per[i] = ds
	}
	out := make([]MultisigDerived, 0, count)
	for j := range int(count) {
		keys := make([]Derived, len(per))
		for i := range per {
			d := per[i][j]
			keys[i] = Derived{Change: change, Index: d.Index, Origin: d.Origin, PubKey: d.PubKey}
		}
		d, err := m.assemble(change, from+uint32(j), keys)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// JoinOrigins writes the derivations of a multisig output's keys in one
// line, path first, then the cosigners' fingerprints in order:
// "m/48h/0h/0h/2h/0/5 (f5acc2fd, 73c5da0a, e2867bb6)" when every key has
// the same path, else the last two steps, "…/0/5 (f5acc2fd, ...)".
func JoinOrigins(origins []KeyOrigin) string {
	if len(origins) == 0 {
		return ""
	}
	var fprs []string
	var first strings.Builder
	writePath(&first, origins[0].Path)
	same := true
	for _, o := range origins {
		var p strings.Builder
		writePath(&p, o.Path)
		same = same && p.String() == first.String()
		fprs = append(fprs, hex.EncodeToString(o.Fingerprint[:]))
	}
	path := "m" + first.String()
	if !same {
		steps := strings.Split(first.String(), "/")
		path = "…/" + strings.Join(steps[max(1, len(steps)-2):], "/")
	}
	return path + " (" + strings.Join(fprs, ", ") + ")"
}
