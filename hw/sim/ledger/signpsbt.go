package ledger

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
)

// PSBT (version 2) key types the device reads (BIP 174, BIP 370, BIP 371).
const (
	psbtGlobalTxVersion      = 0x02
	psbtGlobalFallbackLock   = 0x03
	psbtInNonWitnessUTXO     = 0x00
	psbtInWitnessUTXO        = 0x01
	psbtInSighashType        = 0x03
	psbtInBIP32Derivation    = 0x06
	psbtInPreviousTxid       = 0x0E
	psbtInOutputIndex        = 0x0F
	psbtInSequence           = 0x10
	psbtInTapBIP32Derivation = 0x16
	psbtOutAmount            = 0x03
	psbtOutScript            = 0x04
)

// ccYield is the client command that hands a result to the client (a
// signature, during SIGN_PSBT); the client's reply is ignored.
const ccYield = 0x10

// Bounds on what SIGN_PSBT accepts.
const (
	maxInputs         = 512     // MAX_N_INPUTS_CAN_SIGN
	maxOutputs        = 512     // MAX_N_OUTPUTS_CAN_SIGN
	maxPrevTx         = 1 << 20 // a NON_WITNESS_UTXO
	maxScript         = 10000   // a scriptPubKey (MAX_SCRIPT_SIZE)
	maxDerivationData = 1 + 32*64 + 4 + 4*maxPathSteps
	maxSupply         = 21_000_000 * 100_000_000
)

// errPSBT reports a PSBT the device refuses (0x6A80).
var errPSBT = errors.New("ledger sim: invalid PSBT")

// psbtInput is what the device learns about one input.
type psbtInput struct {
	prevout  wire.OutPoint
	sequence uint32
	utxo     wire.TxOut // amount and scriptPubKey of the output spent

	internal bool
	path     []uint32 // full signing path, for internal inputs
	sighash  uint32
	msKey    int    // multisig: the policy key the path is under
	script   []byte // multisig: the witness or redeem script signed
}

// signPSBT answers SIGN_PSBT (E1 04):
//
//	| global map commitment (65-73)                    |
//	| varint(n_inputs)  | inputs_root(32)  (leaves: input map commitments)  |
//	| varint(n_outputs) | outputs_root(32) (leaves: output map commitments) |
//	| wallet_id(32) | hmac(32) (zeros for a default policy)                |
//
// It signs for the four default single-signature policies (pkh, sh(wpkh),
// wpkh, tr key path) and for registered multisig policies (see
// multisign.go). Everything comes from the client through client
// commands, each proof and preimage checked (see maps.go), in the app's
// order (sign_psbt.c, sign_psbt/preprocess_inputs.c):
//
//  1. the global map: every key, then TX_VERSION (required) and
//     FALLBACK_LOCKTIME (0 when absent);
//  2. the policy: serialization, template, key (a default policy of this
//     device, see checkDefault);
//  3. each input: its commitment, every key, then PREVIOUS_TXID,
//     OUTPUT_INDEX, SEQUENCE, the UTXO fields, and the BIP32 derivations
//     (TAP_BIP32_DERIVATION for tr) whose fingerprint is ours;
//  4. each output: its commitment, every key, AMOUNT and SCRIPT;
//  5. the confirmation screen (the user may refuse: 0x6985);
//  6. one YIELD per internal input, in input order:
//     varint(input_index) | pubkey_len(1) | pubkey | signature
//     (the pubkey is left out under protocol version 0); then 0x9000.
//
// An input is internal when a derivation entry carries our fingerprint and
// the policy's account path followed by change (0 or 1) and an unhardened
// index, and the scriptPubKey the policy gives at that change and index is
// the one the input spends. Signatures:
//
//   - pkh: legacy sighash, SIGHASH_ALL; ECDSA, DER || 0x01; 33-byte pubkey;
//   - sh(wpkh), wpkh: BIP143 sighash, SIGHASH_ALL; ECDSA as above;
//   - tr: BIP341 key-path sighash, SIGHASH_DEFAULT; BIP340 Schnorr with
//     the BIP86-tweaked key, 64 bytes; the pubkey is the tweaked key, 32
//     bytes x-only.
//
// ECDSA nonces are RFC 6979 (as the app's cx_ecdsa_sign with
// CX_RND_RFC6979) with low S and no grinding for low R; Schnorr
// signatures use btcec's deterministic nonce where the app draws its
// auxiliary randomness from its TRNG, so taproot signatures differ from a
// real device's (both are valid).
//
// Errors:
//
//	0x6A87  data too short
//	0x6A80  bad client data; a PSBT the app refuses: no input or output,
//	        an input with neither WITNESS_UTXO nor NON_WITNESS_UTXO, a
//	        NON_WITNESS_UTXO whose txid is not PREVIOUS_TXID or that
//	        disagrees with WITNESS_UTXO, an internal legacy input without
//	        NON_WITNESS_UTXO or with WITNESS_UTXO, an internal segwit input
//	        without WITNESS_UTXO, a derivation key that is not a compressed
//	        (or x-only) key, outputs worth more than the inputs, no
//	        internal input; a policy that is not a default one
//	0x6A82  a sighash type other than ALL (or DEFAULT on tr), or a
//	        registered policy that is not multisig
//	0xB008  a non-zero HMAC that is not this seed's for the wallet id
//	0x6985  the user refused
func (d *Device) signPSBT(c *call, p2 byte, data []byte) []byte {
	global, n, err := parseMapRef(data)
	if err != nil {
		return sw(SWWrongDataLength)
	}
	r := &reader{b: data[n:]}
	nIn := r.varint()
	inRoot := merkle.Hash(r.bytes(32))
	nOut := r.varint()
	outRoot := merkle.Hash(r.bytes(32))
	walletID := [32]byte(r.bytes(32))
	mac := r.bytes(32)
	if r.bad {
		return sw(SWWrongDataLength)
	}
	if nIn == 0 || nIn > maxInputs || nOut == 0 || nOut > maxOutputs {
		return sw(SWIncorrectData)
	}

	s := &psbtSigner{d: d, c: c}
	if err := s.readGlobal(global); err != nil {
		return failSW(err)
	}
	if code := s.readPolicy(walletID, mac); code != SWOK {
		return sw(code)
	}
	s.inputs = make([]psbtInput, nIn)
	var inTotal, outTotal int64
	for i := range s.inputs {
		if code := s.readInput(inRoot, int(nIn), i); code != SWOK {
			return sw(code)
		}
		inTotal += s.inputs[i].utxo.Value
	}
	s.outputs = make([]*wire.TxOut, nOut)
	for i := range s.outputs {
		if err := s.readOutput(outRoot, int(nOut), i); err != nil {
			return failSW(err)
		}
		outTotal += s.outputs[i].Value
	}
	internal := 0
	for _, in := range s.inputs {
		if in.internal {
			internal++
		}
	}
	if internal == 0 || outTotal > inTotal {
		return sw(SWIncorrectData)
	}
	if !d.confirm(ScreenSign) {
		return sw(SWDeny)
	}
	if err := s.signAll(p2); err != nil {
		if errors.Is(err, errAborted) || errors.Is(err, errClient) {
			return failSW(err)
		}
		return sw(SWBadState)
	}
	return sw(SWOK)
}

// psbtSigner carries one SIGN_PSBT through its steps.
type psbtSigner struct {
	d *Device
	c *call

	version  int32
	lockTime uint32

	kind    policy.Kind
	account []uint32 // the policy key's origin path

	// ms is the registered multisig policy being signed for, or nil for a
	// default single-sig policy.
	ms *msPolicy

	inputs  []psbtInput
	outputs []*wire.TxOut
}

// fixedValue fetches a value that must be n bytes long; absent is not an
// error (ok = false).
func (s *psbtSigner) fixedValue(m mapRef, key []byte, n int) (v []byte, ok bool, err error) {
	v, ok, err = s.c.value(m, key, uint64(n))
	if err == nil && ok && len(v) != n {
		err = fmt.Errorf("%w: field 0x%02x of %d bytes, want %d", errPSBT, key[0], len(v), n)
	}
	return v, ok, err
}

func (s *psbtSigner) readGlobal(m mapRef) error {
	if _, err := s.c.walkKeys(m); err != nil {
		return err
	}
	v, ok, err := s.fixedValue(m, []byte{psbtGlobalTxVersion}, 4)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no TX_VERSION", errPSBT)
	}
	s.version = int32(binary.LittleEndian.Uint32(v))
	v, ok, err = s.fixedValue(m, []byte{psbtGlobalFallbackLock}, 4)
	if err != nil {
		return err
	}
	if ok {
		s.lockTime = binary.LittleEndian.Uint32(v)
	}
	return nil
}

// readPolicy fetches the wallet policy and keeps its kind and account
// path; it returns the status word to answer when it is unusable.
func (s *psbtSigner) readPolicy(walletID [32]byte, mac []byte) uint16 {
	ser, err := s.c.getPreimage(walletID)
	if err != nil {
		return SWIncorrectData
	}
	header, err := policy.Parse(ser)
	if err != nil {
		return SWIncorrectData
	}
	tmpl, err := s.c.getPreimage(header.TemplateHash)
	if err != nil || uint64(len(tmpl)) != header.TemplateLen {
		return SWIncorrectData
	}
	if !allZero(mac) {
		want := s.d.keys.walletHMAC(walletID)
		if !hmac.Equal(want[:], mac) {
			return SWSignatureFail
		}
		if header.Name == "" {
			return SWIncorrectData
		}
		ms, code := s.d.readMultisig(s.c, header, string(tmpl))
		if code != SWOK {
			return code
		}
		s.ms = ms
		return SWOK
	}
	kind, ok := defaultKind(string(tmpl))
	if !ok || header.Name != "" {
		return SWIncorrectData
	}
	key, err := s.d.checkDefault(s.c, header, kind)
	if err != nil {
		return SWIncorrectData
	}
	s.kind, s.account = kind, key.Origin.Path
	return SWOK
}

// readInput reads input i and decides whether it is internal; it returns
// the status word to answer when the input is refused.
func (s *psbtSigner) readInput(root merkle.Hash, n, i int) uint16 {
	in := &s.inputs[i]
	commit, err := s.c.getMerkleLeafElement(root, n, i)
	if err != nil {
		return SWIncorrectData
	}
	m, used, err := parseMapRef(commit)
	if err != nil || used != len(commit) {
		return SWIncorrectData
	}
	keys, err := s.c.walkKeys(m)
	if err != nil {
		return SWIncorrectData
	}
	var hasWitness, hasNonWitness, hasSighash bool
	var derivations [][]byte
	for _, k := range keys {
		switch k[0] {
		case psbtInWitnessUTXO:
			hasWitness = true
		case psbtInNonWitnessUTXO:
			hasNonWitness = true
		case psbtInSighashType:
			hasSighash = true
		case psbtInBIP32Derivation:
			if len(k) != 1+33 {
				return SWIncorrectData // only compressed keys
			}
			derivations = append(derivations, k)
		case psbtInTapBIP32Derivation:
			if len(k) != 1+32 {
				return SWIncorrectData
			}
			derivations = append(derivations, k)
		}
	}

	// Derivations: which of our keys, if any, the input names.
	for _, k := range derivations {
		if (k[0] == psbtInTapBIP32Derivation) != (s.ms == nil && s.kind == policy.Taproot) {
			continue
		}
		v, _, err := s.c.value(m, k, maxDerivationData)
		if err != nil {
			return SWIncorrectData
		}
		if s.ms != nil {
			if path, key, ok := s.ms.ownPath(s.d, v); ok {
				in.path, in.msKey = path, key
			}
			continue
		}
		path, ok := s.ownPath(k[0], v)
		if ok {
			in.path = path
		}
	}

	v, ok, err := s.fixedValue(m, []byte{psbtInPreviousTxid}, 32)
	if err != nil || !ok {
		return SWIncorrectData
	}
	in.prevout.Hash = chainhash.Hash(v)
	v, ok, err = s.fixedValue(m, []byte{psbtInOutputIndex}, 4)
	if err != nil || !ok {
		return SWIncorrectData
	}
	in.prevout.Index = binary.LittleEndian.Uint32(v)
	in.sequence = wire.MaxTxInSequenceNum
	v, ok, err = s.fixedValue(m, []byte{psbtInSequence}, 4)
	if err != nil {
		return SWIncorrectData
	}
	if ok {
		in.sequence = binary.LittleEndian.Uint32(v)
	}

	if !hasWitness && !hasNonWitness {
		return SWIncorrectData
	}
	if hasNonWitness {
		raw, _, err := s.c.value(m, []byte{psbtInNonWitnessUTXO}, maxPrevTx)
		if err != nil {
			return SWIncorrectData
		}
		var prev wire.MsgTx
		if err := prev.Deserialize(bytes.NewReader(raw)); err != nil {
			return SWIncorrectData
		}
		if prev.TxHash() != in.prevout.Hash || int(in.prevout.Index) >= len(prev.TxOut) {
			return SWIncorrectData
		}
		in.utxo = *prev.TxOut[in.prevout.Index]
	}
	if hasWitness {
		raw, _, err := s.c.value(m, []byte{psbtInWitnessUTXO}, 8+9+maxScript)
		if err != nil {
			return SWIncorrectData
		}
		wr := &reader{b: raw}
		amount := int64(binary.LittleEndian.Uint64(wr.bytes(8)))
		script := wr.bytes(int(min(wr.varint(), maxScript+1)))
		if wr.bad || len(wr.b) != 0 {
			return SWIncorrectData
		}
		if hasNonWitness {
			if amount != in.utxo.Value || !bytes.Equal(script, in.utxo.PkScript) {
				return SWIncorrectData
			}
		} else {
			in.utxo = wire.TxOut{Value: amount, PkScript: bytes.Clone(script)}
		}
	}
	if in.utxo.Value < 0 || in.utxo.Value > maxSupply {
		return SWIncorrectData
	}

	// Internal: the policy's script at the derivation's change and index
	// is the one spent.
	if in.path != nil && s.ms != nil {
		script, pk, err := s.ms.scriptAt(in.path)
		in.internal = err == nil && bytes.Equal(pk, in.utxo.PkScript)
		in.script = script
	} else if in.path != nil {
		want, err := s.d.scriptAt(s.kind, in.path)
		in.internal = err == nil && bytes.Equal(want, in.utxo.PkScript)
	}
	if !in.internal {
		return SWOK
	}
	if legacy := s.kind == policy.Legacy && s.ms == nil || s.ms != nil && s.ms.m.wrap == "sh"; legacy {
		if !hasNonWitness || hasWitness {
			return SWIncorrectData
		}
	} else if !hasWitness {
		return SWIncorrectData
	}
	in.sighash = uint32(txscript.SigHashAll)
	if s.kind == policy.Taproot && s.ms == nil {
		in.sighash = uint32(txscript.SigHashDefault)
	}
	if hasSighash {
		v, _, err := s.fixedValue(m, []byte{psbtInSighashType}, 4)
		if err != nil {
			return SWIncorrectData
		}
		sh := binary.LittleEndian.Uint32(v)
		switch {
		case sh == uint32(txscript.SigHashAll):
		case sh == uint32(txscript.SigHashDefault) && s.kind == policy.Taproot && s.ms == nil:
		default:
			return SWNotSupported
		}
		in.sighash = sh
	}
	return SWOK
}

// ownPath reads a derivation value and returns its path when it is one of
// the policy key's: our fingerprint, the account path, then change 0 or 1
// and an unhardened index.
//
//	BIP32_DERIVATION:     fingerprint(4) | path: u32 LE each
//	TAP_BIP32_DERIVATION: varint(n) | n × leaf hash(32) | fingerprint(4) | path
func (s *psbtSigner) ownPath(keyType byte, v []byte) ([]uint32, bool) {
	r := &reader{b: v}
	if keyType == psbtInTapBIP32Derivation {
		nLeaves := r.varint()
		if nLeaves != 0 { // a script-path key: not a tr(@0/**) key path
			return nil, false
		}
	}
	fp := r.bytes(4)
	if r.bad || len(r.b)%4 != 0 || !bytes.Equal(fp, s.d.keys.Fingerprint[:]) {
		return nil, false
	}
	path := make([]uint32, 0, len(r.b)/4)
	for len(r.b) > 0 {
		path = append(path, binary.LittleEndian.Uint32(r.bytes(4)))
	}
	na := len(s.account)
	if len(path) != na+2 || path[na] > 1 || path[na+1] >= hardened {
		return nil, false
	}
	for i, step := range s.account {
		if path[i] != step {
			return nil, false
		}
	}
	return path, true
}

// scriptAt returns the scriptPubKey of a default policy of the given kind
// for the key at path.
func (d *Device) scriptAt(kind policy.Kind, path []uint32) ([]byte, error) {
	pub, err := d.keys.Pubkey(path)
	if err != nil {
		return nil, err
	}
	h160 := btcutil.Hash160(pub)
	switch kind {
	case policy.Legacy:
		return txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).
			AddData(h160).AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	case policy.NestedSegwit:
		redeem := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h160...)
		return txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).
			AddData(btcutil.Hash160(redeem)).AddOp(txscript.OP_EQUAL).Script()
	case policy.NativeSegwit:
		return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h160...), nil
	case policy.Taproot:
		key, err := btcec.ParsePubKey(pub)
		if err != nil {
			return nil, err
		}
		out := schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(key))
		return append([]byte{txscript.OP_1, txscript.OP_DATA_32}, out...), nil
	}
	return nil, errNotStandard
}

func (s *psbtSigner) readOutput(root merkle.Hash, n, i int) error {
	commit, err := s.c.getMerkleLeafElement(root, n, i)
	if err != nil {
		return err
	}
	m, used, err := parseMapRef(commit)
	if err != nil || used != len(commit) {
		return fmt.Errorf("%w: output commitment", errPSBT)
	}
	if _, err := s.c.walkKeys(m); err != nil {
		return err
	}
	v, ok, err := s.fixedValue(m, []byte{psbtOutAmount}, 8)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: output without AMOUNT", errPSBT)
	}
	amount := int64(binary.LittleEndian.Uint64(v))
	script, ok, err := s.c.value(m, []byte{psbtOutScript}, maxScript)
	if err != nil {
		return err
	}
	if !ok || amount < 0 || amount > maxSupply {
		return fmt.Errorf("%w: output without SCRIPT or with a bad amount", errPSBT)
	}
	s.outputs[i] = &wire.TxOut{Value: amount, PkScript: script}
	return nil
}

// signAll computes each internal input's sighash, signs it and yields the
// signature.
func (s *psbtSigner) signAll(p2 byte) error {
	tx := wire.NewMsgTx(s.version)
	tx.LockTime = s.lockTime
	prevs := make(map[wire.OutPoint]*wire.TxOut, len(s.inputs))
	for i := range s.inputs {
		in := &s.inputs[i]
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: in.prevout, Sequence: in.sequence})
		prevs[in.prevout] = &in.utxo
	}
	for _, o := range s.outputs {
		tx.AddTxOut(o)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetcher)

	for i, in := range s.inputs {
		if !in.internal {
			continue
		}
		key, _, err := s.d.keys.Derive(in.path)
		if err != nil {
			return err
		}
		priv, err := key.ECPrivKey()
		if err != nil {
			return err
		}
		var pub, sig []byte
		kind := s.kind
		if s.ms != nil {
			kind = -1 // multisig
		}
		switch kind {
		case -1:
			pub = priv.PubKey().SerializeCompressed()
			var h []byte
			if s.ms.m.wrap == "sh" {
				h, err = txscript.CalcSignatureHash(in.script, txscript.SigHashType(in.sighash), tx, i)
			} else {
				h, err = txscript.CalcWitnessSigHash(in.script, hashes, txscript.SigHashType(in.sighash), tx, i, in.utxo.Value)
			}
			if err != nil {
				return err
			}
			sig = ecdsaSig(priv, h, in.sighash)
		case policy.Legacy:
			h, err := txscript.CalcSignatureHash(in.utxo.PkScript, txscript.SigHashType(in.sighash), tx, i)
			if err != nil {
				return err
			}
			pub, sig = priv.PubKey().SerializeCompressed(), ecdsaSig(priv, h, in.sighash)
		case policy.NestedSegwit, policy.NativeSegwit:
			pub = priv.PubKey().SerializeCompressed()
			script := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(pub)...)
			h, err := txscript.CalcWitnessSigHash(script, hashes, txscript.SigHashType(in.sighash), tx, i, in.utxo.Value)
			if err != nil {
				return err
			}
			sig = ecdsaSig(priv, h, in.sighash)
		case policy.Taproot:
			h, err := txscript.CalcTaprootSignatureHash(hashes, txscript.SigHashType(in.sighash), tx, i, fetcher)
			if err != nil {
				return err
			}
			tweaked := txscript.TweakTaprootPrivKey(*priv, nil)
			ss, err := schnorr.Sign(tweaked, h)
			if err != nil {
				return err
			}
			pub, sig = schnorr.SerializePubKey(tweaked.PubKey()), ss.Serialize()
			if in.sighash != uint32(txscript.SigHashDefault) {
				sig = append(sig, byte(in.sighash))
			}
		default:
			return errNotStandard
		}
		payload := appendVarint([]byte{ccYield}, uint64(i))
		if p2 >= 1 {
			payload = append(payload, byte(len(pub)))
			payload = append(payload, pub...)
		}
		if _, err := s.c.ask(append(payload, sig...)); err != nil {
			return err
		}
	}
	return nil
}

// ecdsaSig signs a sighash: RFC 6979 nonce, low S, DER, then the sighash
// byte.
func ecdsaSig(priv *btcec.PrivateKey, hash []byte, sighash uint32) []byte {
	return append(ecdsa.Sign(priv, hash).Serialize(), byte(sighash))
}
