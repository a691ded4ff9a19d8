package descriptor

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"
)

// Derived is everything about one output of a descriptor that a watch-only
// wallet needs: to watch it (Script, Address) and to let a hardware wallet
// sign for it (PubKey and its Origin, the full path from the master
// fingerprint).
type Derived struct {
	Change bool   // from the change chain
	Index  uint32 // the child index ("/*" step); 0 for a descriptor without "/*"

	// Origin is the key's full derivation: the origin fingerprint, then
	// the origin path, the steps after the extended key (the chosen
	// multipath index among them) and Index. Without a key origin in the
	// descriptor, the extended key's own fingerprint starts the path, as
	// Bitcoin Core does.
	Origin KeyOrigin

	PubKey []byte // the 33-byte compressed public key

	// For tr(): the 32-byte x-only internal key (BIP 86) and output key
	// (BIP 341 tweak with no script tree). Nil for other types.
	InternalKey []byte
	OutputKey   []byte

	Script       []byte // the output script (scriptPubKey)
	RedeemScript []byte // for sh(wpkh()): the P2WPKH script the P2SH commits to
	Address      string // the address on the descriptor's network
}

// node is a BIP 32 node kept for fast public child derivation: its public
// key as an affine curve point (Z = 1) and as 33 bytes, and its chain code
// (nil for a hex key, which has no children).
type node struct {
	point     btcec.JacobianPoint
	pub       [33]byte
	chainCode []byte
}

func (n *node) setPub(pub, chainCode []byte) error {
	pk, err := btcec.ParsePubKey(pub)
	if err != nil {
		return errNoPos(ErrInvalidKey, "public key: %v", err)
	}
	pk.AsJacobian(&n.point)
	copy(n.pub[:], pk.SerializeCompressed())
	n.chainCode = bytes.Clone(chainCode)
	return nil
}

// deriver derives children of one node. It holds the keyed HMAC and
// scratch buffers, so it serves one goroutine.
type deriver struct {
	n    *node
	mac  hash.Hash
	data [37]byte // serP(K) || ser32(i)
	sum  [64]byte
}

func (n *node) deriver() *deriver {
	d := &deriver{n: n, mac: hmac.New(sha512.New, n.chainCode)}
	copy(d.data[:33], n.pub[:])
	return d
}

// child computes the public key of the unhardened child i (BIP 32 CKDpub)
// into out, in Jacobian coordinates (not affine):
//
//	I   = HMAC-SHA512(Key = c_par, Data = serP(K_par) || ser32(i))
//	K_i = parse256(I_L)*G + K_par
//
// It reports false when BIP 32 defines no child at i: parse256(I_L) is not
// below the curve order n, or K_i is the point at infinity. BIP 32 then says
// to go on with the next index; the callers of this package do so by
// skipping i (see ErrInvalidChild). The chance is below 2^-127 per index.
func (d *deriver) child(i uint32, out *btcec.JacobianPoint) bool {
	binary.BigEndian.PutUint32(d.data[33:], i)
	d.mac.Reset()
	d.mac.Write(d.data[:])
	return childFromIL(d.mac.Sum(d.sum[:0])[:32], &d.n.point, out)
}

// childFromIL sets out to parse256(il)*G + parent, parent being affine.
// It reports false when il is not below n or the sum is at infinity.
func childFromIL(il []byte, parent, out *btcec.JacobianPoint) bool {
	var s btcec.ModNScalar
	if overflow := s.SetByteSlice(il); overflow {
		return false
	}
	var ilG btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&s, &ilG)
	btcec.AddNonConst(&ilG, parent, out)
	return !(out.X.IsZero() && out.Y.IsZero()) && !out.Z.IsZero()
}

// toAffine converts the points pts[j] with ok[j] set to affine coordinates
// with a single field inversion (Montgomery's trick): with the running
// products a_j = Z_0 * ... * Z_j, the inverse of a_last gives each
// Z_j^-1 = a_last^-1 * (Z_last * ... * Z_j+1) * a_j-1, three
// multiplications per point instead of one inversion each. scratch holds
// at least len(pts) field values.
func toAffine(pts []btcec.JacobianPoint, ok []bool, scratch []btcec.FieldVal) {
	var acc btcec.FieldVal
	acc.SetInt(1)
	for j := range pts {
		scratch[j].Set(&acc) // product of the Z before j
		if ok[j] {
			acc.Mul(&pts[j].Z)
		}
	}
	inv := acc.Inverse() // (product of all Z)^-1
	var zInv, zInv2 btcec.FieldVal
	for j := len(pts) - 1; j >= 0; j-- {
		if !ok[j] {
			continue
		}
		p := &pts[j]
		zInv.Mul2(inv, &scratch[j]) // Z_j^-1
		inv.Mul(&p.Z)               // (product of the Z before j)^-1
		zInv2.SquareVal(&zInv)
		p.X.Mul(&zInv2).Normalize()
		p.Y.Mul(zInv2.Mul(&zInv)).Normalize()
		p.Z.SetInt(1)
	}
}

// compress writes the affine point p as a 33-byte compressed key.
func compress(p *btcec.JacobianPoint, out *[33]byte) {
	out[0] = 0x02
	if p.Y.IsOdd() {
		out[0] = 0x03
	}
	p.X.PutBytesUnchecked(out[1:])
}

func hash160(b []byte) []byte { return btcutil.Hash160(b) }

// scriptLen is the length of the output script of each type.
func scriptLen(t ScriptType) int {
	switch t {
	case PKH:
		return 25
	case SHWPKH:
		return 23
	case WPKH:
		return 22
	default:
		return 34
	}
}

// output is one derived output, computed as far as a caller needs.
type output struct {
	pub    [33]byte
	h160   [20]byte // hash160 of the key, or of the redeem script for sh-wpkh
	keyH   [20]byte // hash160 of the key (sh-wpkh keeps both)
	outKey [32]byte // tr: output key
}

// compute fills o from the affine point p for script type t.
func (o *output) compute(t ScriptType, p *btcec.JacobianPoint) {
	compress(p, &o.pub)
	switch t {
	case PKH, WPKH:
		copy(o.h160[:], hash160(o.pub[:]))
	case SHWPKH:
		copy(o.keyH[:], hash160(o.pub[:]))
		copy(o.h160[:], hash160(o.redeemScript()))
	case TR:
		internal := btcec.NewPublicKey(&p.X, &p.Y)
		copy(o.outKey[:], schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(internal)))
	}
}

// redeemScript is the P2WPKH script of a sh(wpkh()) output: OP_0 <hash160(key)>.
func (o *output) redeemScript() []byte {
	return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, o.keyH[:]...)
}

// appendScript appends the output script of type t to dst.
func (o *output) appendScript(t ScriptType, dst []byte) []byte {
	switch t {
	case PKH: // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
		dst = append(dst, txscript.OP_DUP, txscript.OP_HASH160, txscript.OP_DATA_20)
		dst = append(dst, o.h160[:]...)
		return append(dst, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG)
	case SHWPKH: // OP_HASH160 <20> OP_EQUAL
		dst = append(dst, txscript.OP_HASH160, txscript.OP_DATA_20)
		dst = append(dst, o.h160[:]...)
		return append(dst, txscript.OP_EQUAL)
	case WPKH: // OP_0 <20>
		dst = append(dst, txscript.OP_0, txscript.OP_DATA_20)
		return append(dst, o.h160[:]...)
	default: // OP_1 <32>
		dst = append(dst, txscript.OP_1, txscript.OP_DATA_32)
		return append(dst, o.outKey[:]...)
	}
}

// address encodes the output as an address of network net. Segwit
// addresses are encoded with bech32 directly (BIP 173, BIP 350 for version
// 1): btcutil's encoder decodes each address again to check itself, which
// costs as much as the rest of the encoding; the tests compare both.
func (o *output) address(t ScriptType, net Network) (string, error) {
	params := net.Params()
	var err error
	switch t {
	case PKH:
		var a *btcutil.AddressPubKeyHash
		if a, err = btcutil.NewAddressPubKeyHash(o.h160[:], params); err == nil {
			return a.EncodeAddress(), nil
		}
	case SHWPKH:
		var a *btcutil.AddressScriptHash
		if a, err = btcutil.NewAddressScriptHashFromHash(o.h160[:], params); err == nil {
			return a.EncodeAddress(), nil
		}
	case WPKH:
		return segwitAddress(params.Bech32HRPSegwit, 0, o.h160[:])
	default:
		return segwitAddress(params.Bech32HRPSegwit, 1, o.outKey[:])
	}
	return "", errNoPos(ErrInvalidKey, "address: %v", err)
}

// segwitAddress encodes a witness program: bech32 for version 0, bech32m
// for version 1.
func segwitAddress(hrp string, version byte, program []byte) (string, error) {
	var data [1 + (32*8+4)/5]byte
	data[0] = version
	conv, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		return "", errNoPos(ErrInvalidKey, "address: %v", err)
	}
	n := 1 + copy(data[1:], conv)
	var s string
	if version == 0 {
		s, err = bech32.Encode(hrp, data[:n])
	} else {
		s, err = bech32.EncodeM(hrp, data[:n])
	}
	if err != nil {
		return "", errNoPos(ErrInvalidKey, "address: %v", err)
	}
	return s, nil
}

// chainOf returns the chain for the change flag (BIP 389: the first path
// alternative receives, the second takes change).
func (d *Descriptor) chainOf(change bool) (*chain, error) {
	i := 0
	if change {
		if !d.HasChange() {
			return nil, errNoPos(ErrRange, "no change chain: the descriptor has no multipath step such as /<0;1>/*")
		}
		i = 1
	}
	return d.chainFor(i)
}

// checkRange checks that indexes from..from+count-1 exist.
func (d *Descriptor) checkRange(from, count uint32) error {
	if count == 0 {
		return nil
	}
	if !d.key.wildcard {
		if from != 0 || count > 1 {
			return errNoPos(ErrRange, "the descriptor has no /*: it describes one script, at index 0")
		}
		return nil
	}
	if last := uint64(from) + uint64(count) - 1; last >= hdkeychain.HardenedKeyStart {
		return errNoPos(ErrRange, "index %d is hardened (2^31 or more): watch-only derivation stops at 2147483647", last)
	}
	return nil
}

// batchSize is how many points each converts to affine coordinates with
// one inversion: enough to make the inversion's share small, few enough to
// stay in the first-level cache.
const batchSize = 128

// each derives indexes from..from+count-1 of chain c and calls fn, in
// order, with the position k (index from+k) and the child key as an affine
// point. Indexes without a BIP 32 child are skipped: fn is not called for
// them.
func (d *Descriptor) each(c *chain, from, count uint32, fn func(k int, p *btcec.JacobianPoint) error) error {
	if !d.key.wildcard {
		if count == 0 {
			return nil
		}
		p := c.node.point
		return fn(0, &p)
	}
	dv := c.node.deriver()
	n := min(int(count), batchSize)
	pts := make([]btcec.JacobianPoint, n)
	ok := make([]bool, n)
	scratch := make([]btcec.FieldVal, n)
	for start := 0; start < int(count); start += n {
		m := min(n, int(count)-start)
		for j := range m {
			ok[j] = dv.child(from+uint32(start+j), &pts[j])
		}
		toAffine(pts[:m], ok[:m], scratch)
		for j := range m {
			if !ok[j] {
				continue
			}
			if err := fn(start+j, &pts[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Derive returns the output at index of the receive chain, or of the change
// chain when change is set (which needs a multipath descriptor). A
// descriptor without "/*" has index 0 only. Errors: ErrRange for an index or
// chain the descriptor does not have, ErrInvalidChild in the (2^-127) case
// where BIP 32 has no key at index: skip it and use the next one.
func (d *Descriptor) Derive(change bool, index uint32) (Derived, error) {
	out, err := d.DeriveRange(change, index, 1)
	if err != nil {
		return Derived{}, err
	}
	if len(out) == 0 {
		return Derived{}, errNoPos(ErrInvalidChild, "BIP 32 has no key at index %d: skip to index %d", index, index+1)
	}
	return out[0], nil
}

// DeriveRange returns the outputs at indexes from..from+count-1 in order.
// An index where BIP 32 has no key (chance below 2^-127) is left out, so
// read each result's Index rather than counting.
func (d *Descriptor) DeriveRange(change bool, from, count uint32) ([]Derived, error) {
	c, err := d.chainOf(change)
	if err != nil {
		return nil, err
	}
	if err := d.checkRange(from, count); err != nil {
		return nil, err
	}
	res := make([]Derived, 0, count)
	err = d.each(c, from, count, func(k int, p *btcec.JacobianPoint) error {
		var o output
		o.compute(d.typ, p)
		r := Derived{
			Change: change,
			Index:  from + uint32(k),
			Origin: c.prefix.clone(),
			PubKey: bytes.Clone(o.pub[:]),
			Script: o.appendScript(d.typ, make([]byte, 0, scriptLen(d.typ))),
		}
		if d.key.wildcard {
			r.Origin.Path = append(r.Origin.Path, r.Index)
		}
		switch d.typ {
		case SHWPKH:
			r.RedeemScript = o.redeemScript()
		case TR:
			r.InternalKey = bytes.Clone(o.pub[1:])
			r.OutputKey = bytes.Clone(o.outKey[:])
		}
		r.Address, err = o.address(d.typ, d.net)
		if err != nil {
			return err
		}
		res = append(res, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Addresses returns the addresses at indexes from..from+count-1 of the
// receive or change chain: result[k] is the address at index from+k. An
// index where BIP 32 has no key (chance below 2^-127) gives "": skip it.
func (d *Descriptor) Addresses(change bool, from, count uint32) ([]string, error) {
	c, err := d.chainOf(change)
	if err != nil {
		return nil, err
	}
	if err := d.checkRange(from, count); err != nil {
		return nil, err
	}
	res := make([]string, count)
	err = d.each(c, from, count, func(k int, p *btcec.JacobianPoint) error {
		var o output
		o.compute(d.typ, p)
		res[k], err = o.address(d.typ, d.net)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Scripts returns the output scripts at indexes from..from+count-1 of the
// receive or change chain, for scanners that match scripts against chain
// data: result[k] is the script at index from+k, and all scripts share one
// contiguous allocation. An index where BIP 32 has no key (chance below
// 2^-127) gives nil: skip it.
func (d *Descriptor) Scripts(change bool, from, count uint32) ([][]byte, error) {
	c, err := d.chainOf(change)
	if err != nil {
		return nil, err
	}
	if err := d.checkRange(from, count); err != nil {
		return nil, err
	}
	size := scriptLen(d.typ)
	buf := make([]byte, int(count)*size)
	res := make([][]byte, count)
	err = d.each(c, from, count, func(k int, p *btcec.JacobianPoint) error {
		var o output
		o.compute(d.typ, p)
		res[k] = o.appendScript(d.typ, buf[k*size:k*size:(k+1)*size])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

var warmOnce sync.Once

// Warm loads the precomputed tables of secp256k1 scalar base multiplication,
// which the first derivation in a process would otherwise load (about
// 12 ms). Call it from a background goroutine at start-up so that no user
// action pays for it. It is cheap after the first call.
func Warm() {
	warmOnce.Do(func() {
		var s btcec.ModNScalar
		s.SetInt(1)
		var p btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&s, &p)
	})
}
