package descriptor

import (
	"bytes"
	"encoding/hex"
	"strings"
	"sync"
)

// Descriptor is a parsed single-sig output descriptor bound to a network.
// It is immutable and safe for concurrent use; the derivation state it
// caches is computed once, on first use.
type Descriptor struct {
	typ ScriptType
	net Network
	key *key

	// chains holds one lazily derived node per path alternative: one for a
	// descriptor without a multipath step, else one per index of <a;b;...>.
	chains []*chain
}

func newDescriptor(typ ScriptType, net Network, k *key) *Descriptor {
	n := 1
	if k.multiAt >= 0 {
		n = len(k.multi)
	}
	d := &Descriptor{typ: typ, net: net, key: k, chains: make([]*chain, n)}
	for i := range d.chains {
		d.chains[i] = &chain{}
	}
	return d
}

// Type returns the script type.
func (d *Descriptor) Type() ScriptType { return d.typ }

// Network returns the network the descriptor was read for.
func (d *Descriptor) Network() Network { return d.net }

// IsRange tells whether the descriptor ends in "/*" and so describes one
// script per index; without it there is a single script, at index 0.
func (d *Descriptor) IsRange() bool { return d.key.wildcard }

// IsMultipath tells whether the descriptor holds a BIP 389 step
// "/<a;b;...>" and so several descriptors (receive and change).
func (d *Descriptor) IsMultipath() bool { return d.key.multiAt >= 0 }

// HasChange tells whether Derive can give change addresses, which needs a
// multipath step.
func (d *Descriptor) HasChange() bool { return len(d.chains) >= 2 }

// Origin returns the key origin as written in the descriptor, if any.
func (d *Descriptor) Origin() (KeyOrigin, bool) {
	if d.key.origin == nil {
		return KeyOrigin{}, false
	}
	return d.key.origin.clone(), true
}

// ExtendedKey returns the extended public key in its standard form
// (xpub/tpub), or "" when the key is a hex public key.
func (d *Descriptor) ExtendedKey() string {
	if d.key.ext == nil {
		return ""
	}
	return d.key.ext.text
}

// String returns the canonical descriptor with its checksum.
func (d *Descriptor) String() string {
	s := d.typ.wrap(d.key.String())
	sum, _ := Checksum(s) // canonical text uses allowed characters only
	return s + "#" + sum
}

// String writes the key expression in canonical form.
func (k *key) String() string {
	var b strings.Builder
	if k.origin != nil {
		b.WriteByte('[')
		b.WriteString(k.origin.String())
		b.WriteByte(']')
	}
	if k.ext == nil {
		b.WriteString(hex.EncodeToString(k.pub))
		return b.String()
	}
	b.WriteString(k.ext.text)
	for i, p := range k.path {
		b.WriteByte('/')
		if i == k.multiAt {
			b.WriteByte('<')
			for j, m := range k.multi {
				if j > 0 {
					b.WriteByte(';')
				}
				writeStep(&b, m)
			}
			b.WriteByte('>')
			continue
		}
		writeStep(&b, p)
	}
	if k.wildcard {
		b.WriteString("/*")
	}
	return b.String()
}

// Expand returns the descriptors a multipath descriptor stands for, in the
// order of its "<a;b;...>" step (BIP 389): receive first, then change. A
// descriptor without a multipath step expands to itself.
func (d *Descriptor) Expand() []*Descriptor {
	if d.key.multiAt < 0 {
		return []*Descriptor{d}
	}
	out := make([]*Descriptor, len(d.key.multi))
	for i, m := range d.key.multi {
		k := *d.key
		k.path = append([]uint32(nil), d.key.path...)
		k.path[k.multiAt] = m
		k.multiAt, k.multi = -1, nil
		out[i] = newDescriptor(d.typ, d.net, &k)
	}
	return out
}

// FromXpub builds the descriptor of an account from its extended public
// key, as hardware wallets export it: typ([origin]xpub/<0;1>/*), with
// receive and change chains. xpub may be written xpub/tpub or, matching
// typ, ypub/upub (sh-wpkh) or zpub/vpub (wpkh); it must belong to net.
//
// origin, when given, is the account's place under the device's master key
// (for example 73c5da0a/84h/0h/0h): its path must be as long as the key's
// depth and end in the key's child number, which catches an origin pasted
// for the wrong key. Without an origin, PSBTs cannot tell a hardware wallet
// which key signs, so pass it whenever the device gave it.
func FromXpub(xpub string, typ ScriptType, origin *KeyOrigin, net Network) (*Descriptor, error) {
	if !net.valid() {
		return nil, errNoPos(ErrNetwork, "unknown network %d", net)
	}
	if !typ.valid() {
		return nil, errNoPos(ErrUnsupported, "unknown script type %d", typ)
	}
	if looksPrivate(xpub) {
		return nil, errNoPos(ErrPrivateKey, "private key refused: hardfolio is watch-only and never takes private keys")
	}
	ext, err := decodeExtKey(xpub, -1, net, typ)
	if err != nil {
		return nil, err
	}
	k := &key{ext: ext, path: []uint32{0}, multiAt: 0, multi: []uint32{0, 1}, wildcard: true}
	if origin != nil {
		depth := int(ext.key.Depth())
		switch {
		case len(origin.Path) != depth:
			return nil, errNoPos(ErrSyntax, "key origin %s has %d steps but the key is at depth %d", origin, len(origin.Path), depth)
		case depth > 0 && origin.Path[depth-1] != ext.key.ChildIndex():
			return nil, errNoPos(ErrSyntax, "key origin %s ends in step %s but the key is child %s of its parent",
				origin, stepString(origin.Path[depth-1]), stepString(ext.key.ChildIndex()))
		case depth == 0 && !bytes.Equal(origin.Fingerprint[:], ext.fp[:]):
			return nil, errNoPos(ErrSyntax, "key origin fingerprint %x is not the fingerprint %x of this master key", origin.Fingerprint, ext.fp)
		}
		o := origin.clone()
		k.origin = &o
	}
	return newDescriptor(typ, net, k), nil
}

func stepString(p uint32) string {
	var b strings.Builder
	writeStep(&b, p)
	return b.String()
}

// chain is the node at the end of the fixed derivation steps of one path
// alternative, derived on first use.
type chain struct {
	once sync.Once
	err  error
	node node
	// prefix is the path from the origin fingerprint to the node.
	prefix KeyOrigin
}

// chainFor returns the derived chain of alternative i.
func (d *Descriptor) chainFor(i int) (*chain, error) {
	c := d.chains[i]
	c.once.Do(func() { c.err = d.initChain(i, c) })
	return c, c.err
}

// initChain derives the node of alternative i with hdkeychain (once per
// chain, so speed does not matter here) and keeps it as a curve point.
func (d *Descriptor) initChain(i int, c *chain) error {
	k := d.key
	if k.origin != nil {
		c.prefix = k.origin.clone()
	} else if k.ext != nil {
		c.prefix.Fingerprint = k.ext.fp // no origin: the key is its own root
	} else {
		copy(c.prefix.Fingerprint[:], hash160(compressedOf(k.pub))[:4])
	}
	if k.ext == nil {
		return c.node.setPub(compressedOf(k.pub), nil)
	}
	ext := k.ext.key
	for j, step := range k.path {
		if j == k.multiAt {
			step = k.multi[i]
		}
		next, err := ext.Derive(step)
		if err != nil {
			return errNoPos(ErrInvalidChild, "derivation step %d of %s: %v", j+1, d.typ.wrap(k.String()), err)
		}
		ext = next
		c.prefix.Path = append(c.prefix.Path, step)
	}
	pub, err := ext.ECPubKey()
	if err != nil {
		return errNoPos(ErrInvalidKey, "derived key: %v", err)
	}
	return c.node.setPub(pub.SerializeCompressed(), ext.ChainCode())
}

// compressedOf returns a hex key as 33 compressed bytes; an x-only key is
// lifted to its even-Y point (BIP 340).
func compressedOf(pub []byte) []byte {
	if len(pub) == 32 {
		return append([]byte{0x02}, pub...)
	}
	return pub
}
