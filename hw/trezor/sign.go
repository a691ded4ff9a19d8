package trezor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	tw "codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// Coin is a Bitcoin network as the firmware names it
// (common/defs/bitcoin/*.json).
type Coin struct {
	Name   string // "Bitcoin", "Testnet", "Regtest"
	Params *chaincfg.Params
}

// The coins hardfolio uses.
var (
	Bitcoin = Coin{"Bitcoin", &chaincfg.MainNetParams}
	Testnet = Coin{"Testnet", &chaincfg.TestNet3Params}
	Regtest = Coin{"Regtest", &chaincfg.RegressionNetParams}
)

// Errors of the signing flow raised here rather than by the device.
var (
	// ErrPSBT: a PSBT the client cannot turn into a Trezor request.
	ErrPSBT = errors.New("trezor: PSBT")
	// ErrPrevTx: a previous transaction that is missing or does not match
	// the txid the input spends.
	ErrPrevTx = fmt.Errorf("%w: previous transaction", ErrPSBT)
	// ErrForeignInput: an input without a key of this device.
	ErrForeignInput = fmt.Errorf("%w: input not of this device", ErrPSBT)
)

// SignRequest is a transaction to sign in the firmware's terms.
type SignRequest struct {
	Coin     Coin
	Version  uint32
	LockTime uint32
	Inputs   []tw.TxInput
	Outputs  []tw.TxOutput
	// Prev holds the previous transactions by txid, for the device to
	// check the amounts and scripts of the inputs.
	Prev map[chainhash.Hash]*wire.MsgTx
}

// SignResult is what the device returned.
type SignResult struct {
	// Signatures by input index: DER without sighash byte (ECDSA), or a
	// 64-byte BIP 340 signature (taproot).
	Signatures map[int][]byte
	// Serialized is the signed transaction the device assembled.
	Serialized []byte
	// RoundTrips counts the messages sent during signing.
	RoundTrips int64
}

// display returns a txid in the byte order the firmware uses (display
// order, the reverse of the raw bytes).
func display(h chainhash.Hash) []byte {
	b := h[:]
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

// SignTx runs the SignTx flow: the device asks for each input and output
// of the transaction, confirms the outputs and fee with the user, asks for
// the previous transactions' headers, inputs and outputs, and streams the
// signatures back on its TxRequests until TXFINISHED.
func (c *Client) SignTx(ctx context.Context, req SignRequest) (*SignResult, error) {
	if slices.ContainsFunc(req.Inputs, func(in tw.TxInput) bool { return in.ScriptType == tw.SpendTaproot }) {
		if err := c.needTaproot(ctx); err != nil {
			return nil, err
		}
	}
	start := c.trips.Load()
	res := &SignResult{Signatures: map[int][]byte{}}
	var msg tw.Message = tw.SignTx{
		OutputsCount: uint32(len(req.Outputs)), InputsCount: uint32(len(req.Inputs)),
		CoinName: req.Coin.Name, Version: req.Version, LockTime: req.LockTime,
	}
	prev := map[string]*wire.MsgTx{}
	for h, tx := range req.Prev {
		prev[string(display(h))] = tx
	}
	for {
		var r tw.TxRequest
		if err := c.call(ctx, msg, tw.TypeTxRequest, &r); err != nil {
			return nil, err
		}
		if s := r.Serialized; s != nil {
			if s.SignatureIndex != nil {
				i := int(*s.SignatureIndex)
				if i >= len(req.Inputs) {
					c.abort()
					return nil, fmt.Errorf("%w: signature for input %d of %d", ErrProtocol, i, len(req.Inputs))
				}
				res.Signatures[i] = s.Signature
			}
			res.Serialized = append(res.Serialized, s.SerializedTx...)
		}
		if r.RequestType == tw.RequestFinished {
			res.RoundTrips = c.trips.Load() - start
			return res, nil
		}
		var err error
		msg, err = answer(r, req, prev)
		if err != nil {
			c.abort()
			return nil, err
		}
	}
}

// answer builds the TxAck for one TxRequest.
func answer(r tw.TxRequest, req SignRequest, prev map[string]*wire.MsgTx) (tw.Message, error) {
	var idx uint32
	var hash []byte
	if r.Details != nil {
		hash = r.Details.TxHash
		if r.Details.RequestIndex != nil {
			idx = *r.Details.RequestIndex
		}
	}
	if len(hash) == 0 {
		switch r.RequestType {
		case tw.RequestInput:
			if int(idx) >= len(req.Inputs) {
				return nil, fmt.Errorf("%w: device asked for input %d of %d", ErrProtocol, idx, len(req.Inputs))
			}
			return tw.TxAck{Tx: tw.TransactionType{Inputs: []tw.TxInput{req.Inputs[idx]}}}, nil
		case tw.RequestOutput:
			if int(idx) >= len(req.Outputs) {
				return nil, fmt.Errorf("%w: device asked for output %d of %d", ErrProtocol, idx, len(req.Outputs))
			}
			return tw.TxAck{Tx: tw.TransactionType{Outputs: []tw.TxOutput{req.Outputs[idx]}}}, nil
		}
		return nil, fmt.Errorf("%w: request type %d for the transaction being signed", ErrProtocol, r.RequestType)
	}
	tx, ok := prev[string(hash)]
	if !ok {
		return nil, fmt.Errorf("%w %x is not in the PSBT (the inputs need their full previous transactions, PSBT_IN_NON_WITNESS_UTXO)", ErrPrevTx, hash)
	}
	switch r.RequestType {
	case tw.RequestMeta:
		var m tw.TxAckPrevMeta
		m.Tx.Version, m.Tx.LockTime = uint32(tx.Version), tx.LockTime
		m.Tx.InputsCnt, m.Tx.OutputsCnt = uint32(len(tx.TxIn)), uint32(len(tx.TxOut))
		return m, nil
	case tw.RequestInput:
		if int(idx) >= len(tx.TxIn) {
			return nil, fmt.Errorf("%w: device asked for input %d of %d of %x", ErrProtocol, idx, len(tx.TxIn), hash)
		}
		in := tx.TxIn[idx]
		var m tw.TxAckPrevInput
		m.Tx.Input = tw.PrevInput{PrevHash: display(in.PreviousOutPoint.Hash), PrevIndex: in.PreviousOutPoint.Index,
			ScriptSig: in.SignatureScript, Sequence: in.Sequence}
		return m, nil
	case tw.RequestOutput:
		if int(idx) >= len(tx.TxOut) {
			return nil, fmt.Errorf("%w: device asked for output %d of %d of %x", ErrProtocol, idx, len(tx.TxOut), hash)
		}
		o := tx.TxOut[idx]
		return tw.TxAck{Tx: tw.TransactionType{BinOutputs: []tw.PrevOutput{{Amount: uint64(o.Value), ScriptPubkey: o.PkScript}}}}, nil
	}
	return nil, fmt.Errorf("%w: request type %d for a previous transaction", ErrProtocol, r.RequestType)
}

// Signature is one signature for a PSBT input.
type Signature struct {
	Input int
	// PubKey is 33 bytes (ECDSA) or 32 x-only (taproot key path).
	PubKey []byte
	// Signature is DER || 0x01 (SIGHASH_ALL), or 64 bytes BIP 340
	// (SIGHASH_DEFAULT).
	Signature []byte
}

// psbtInput is an input of the PSBT that the device holds a key for.
type psbtInput struct {
	pubKey []byte
	script uint32
}

// PSBTRequest turns a PSBT into a SignRequest for the device with master
// fingerprint fpr. Every input must be the device's own (a BIP 32
// derivation with fpr whose key makes the script spent); previous
// transactions are checked against the txids spent; outputs that pay to
// the device's own keys become change outputs with their paths.
func PSBTRequest(pkt *psbt.Packet, coin Coin, fpr uint32) (SignRequest, []psbtInput, error) {
	tx := pkt.UnsignedTx
	req := SignRequest{Coin: coin, Version: uint32(tx.Version), LockTime: tx.LockTime, Prev: map[chainhash.Hash]*wire.MsgTx{}}
	psbtFpr := bits.ReverseBytes32(fpr)
	if len(pkt.Inputs) != len(tx.TxIn) || len(pkt.Outputs) != len(tx.TxOut) {
		return req, nil, fmt.Errorf("%w: maps do not match the transaction", ErrPSBT)
	}
	var own []psbtInput
	for i, in := range pkt.Inputs {
		op := tx.TxIn[i].PreviousOutPoint
		if in.NonWitnessUtxo != nil {
			if got := in.NonWitnessUtxo.TxHash(); got != op.Hash {
				return req, nil, fmt.Errorf("%w: input %d spends %s but its previous transaction is %s", ErrPrevTx, i, op.Hash, got)
			}
			req.Prev[op.Hash] = in.NonWitnessUtxo
		}
		var prevOut *wire.TxOut
		switch {
		case in.NonWitnessUtxo != nil:
			if int(op.Index) >= len(in.NonWitnessUtxo.TxOut) {
				return req, nil, fmt.Errorf("%w: input %d spends output %d of a transaction with %d", ErrPrevTx, i, op.Index, len(in.NonWitnessUtxo.TxOut))
			}
			prevOut = in.NonWitnessUtxo.TxOut[op.Index]
			if in.WitnessUtxo != nil && (in.WitnessUtxo.Value != prevOut.Value || !bytes.Equal(in.WitnessUtxo.PkScript, prevOut.PkScript)) {
				return req, nil, fmt.Errorf("%w: input %d: witness UTXO and previous transaction disagree", ErrPrevTx, i)
			}
		case in.WitnessUtxo != nil:
			prevOut = in.WitnessUtxo
		default:
			return req, nil, fmt.Errorf("%w: input %d has no UTXO", ErrPSBT, i)
		}
		if in.SighashType != 0 && in.SighashType != txscript.SigHashAll &&
			!(in.SighashType == txscript.SigHashDefault && txscript.IsPayToTaproot(prevOut.PkScript)) {
			return req, nil, fmt.Errorf("%w: input %d asks for sighash type %#x; a Trezor signs SIGHASH_ALL only", ErrPSBT, i, in.SighashType)
		}
		path, st, pub, err := ownKey(in, prevOut.PkScript, psbtFpr)
		if err != nil {
			return req, nil, fmt.Errorf("input %d: %w", i, err)
		}
		req.Inputs = append(req.Inputs, tw.TxInput{
			AddressN: path, PrevHash: display(op.Hash), PrevIndex: op.Index,
			Sequence: &tx.TxIn[i].Sequence, ScriptType: st, Amount: uint64(prevOut.Value),
		})
		own = append(own, psbtInput{pubKey: pub, script: st})
	}
	for j, out := range pkt.Outputs {
		o, err := psbtOutput(out, tx.TxOut[j], coin, psbtFpr)
		if err != nil {
			return req, nil, fmt.Errorf("output %d: %w", j, err)
		}
		req.Outputs = append(req.Outputs, o)
	}
	return req, own, nil
}

// ownKey finds the key of seed psbtFpr that the script spent needs, and
// checks it makes that script.
func ownKey(in psbt.PInput, script []byte, psbtFpr uint32) ([]uint32, uint32, []byte, error) {
	if txscript.IsPayToTaproot(script) {
		for _, d := range in.TaprootBip32Derivation {
			if d.MasterKeyFingerprint != psbtFpr || len(d.LeafHashes) != 0 {
				continue
			}
			ok, err := taprootKeyPays(script, d.XOnlyPubKey)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("%w: taproot key: %v", ErrPSBT, err)
			}
			if !ok {
				return nil, 0, nil, fmt.Errorf("%w: the taproot key at %v does not make the output spent", ErrPSBT, d.Bip32Path)
			}
			return d.Bip32Path, tw.SpendTaproot, d.XOnlyPubKey, nil
		}
		return nil, 0, nil, fmt.Errorf("%w (no taproot key-path derivation with the device's fingerprint)", ErrForeignInput)
	}
	for _, d := range in.Bip32Derivation {
		if d.MasterKeyFingerprint != psbtFpr {
			continue
		}
		if st, ok := singleSigSpend(script, in.RedeemScript, d.PubKey); ok {
			return d.Bip32Path, st, d.PubKey, nil
		}
	}
	return nil, 0, nil, fmt.Errorf("%w (no single-sig key with the device's fingerprint makes the script spent)", ErrForeignInput)
}

// taprootKeyPays reports whether script is the BIP 86 key-path output of
// the x-only key xonly.
func taprootKeyPays(script, xonly []byte) (bool, error) {
	pk, err := schnorr.ParsePubKey(xonly)
	if err != nil {
		return false, err
	}
	return txscript.IsPayToTaproot(script) &&
		bytes.Equal(script[2:], schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pk))), nil
}

// singleSigSpend returns the Trezor input script type of script when it
// pays pub by P2WPKH, P2PKH or P2SH-P2WPKH (redeem, the redeem script).
func singleSigSpend(script, redeem, pub []byte) (uint32, bool) {
	h := btcutil.Hash160(pub)
	switch {
	case txscript.IsPayToWitnessPubKeyHash(script) && bytes.Equal(script[2:], h):
		return tw.SpendWitness, true
	case txscript.IsPayToPubKeyHash(script) && bytes.Equal(script[3:23], h):
		return tw.SpendAddress, true
	case txscript.IsPayToScriptHash(script) && txscript.IsPayToWitnessPubKeyHash(redeem) &&
		bytes.Equal(redeem[2:], h) && bytes.Equal(script[2:22], btcutil.Hash160(redeem)):
		return tw.SpendP2SHWitness, true
	}
	return 0, false
}

// changeScript is the output script type paying to the key of each
// single-sig input script type.
var changeScript = map[uint32]uint32{
	tw.SpendWitness: tw.PayToWitness, tw.SpendAddress: tw.PayToAddress, tw.SpendP2SHWitness: tw.PayToP2SHWitness,
}

// psbtOutput turns an output into a TxOutput: change (the device's own
// key, with its path, so the device does not ask the user about it), an
// OP_RETURN, or an address.
func psbtOutput(out psbt.POutput, txOut *wire.TxOut, coin Coin, psbtFpr uint32) (tw.TxOutput, error) {
	script := txOut.PkScript
	o := tw.TxOutput{Amount: uint64(txOut.Value)}
	for _, d := range out.TaprootBip32Derivation {
		if d.MasterKeyFingerprint != psbtFpr || len(d.LeafHashes) != 0 {
			continue
		}
		if ok, err := taprootKeyPays(script, d.XOnlyPubKey); err == nil && ok {
			o.AddressN, o.ScriptType = d.Bip32Path, tw.PayToTaproot
			return o, nil
		}
	}
	for _, d := range out.Bip32Derivation {
		if d.MasterKeyFingerprint != psbtFpr {
			continue
		}
		if st, ok := singleSigSpend(script, out.RedeemScript, d.PubKey); ok {
			o.AddressN, o.ScriptType = d.Bip32Path, changeScript[st]
			return o, nil
		}
	}
	if len(script) > 0 && script[0] == txscript.OP_RETURN {
		pushes, err := txscript.PushedData(script[1:])
		if err != nil || len(pushes) != 1 {
			return o, fmt.Errorf("%w: an OP_RETURN output must push exactly one item", ErrPSBT)
		}
		o.ScriptType, o.OpReturnData = tw.PayToOpReturn, pushes[0]
		return o, nil
	}
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, coin.Params)
	if err != nil || len(addrs) != 1 || txscript.GetScriptClass(script) == txscript.MultiSigTy || txscript.GetScriptClass(script) == txscript.PubKeyTy {
		return o, fmt.Errorf("%w: a script without an address (%x)", ErrPSBT, script)
	}
	o.Address, o.ScriptType = addrs[0].EncodeAddress(), tw.PayToAddress
	return o, nil
}

// SignPSBT signs every input of pkt (all must be the device's own, of seed
// fpr) and returns the signatures in PSBT form. pkt is not modified.
func (c *Client) SignPSBT(ctx context.Context, pkt *psbt.Packet, coin Coin, fpr uint32) ([]Signature, *SignResult, error) {
	req, own, err := PSBTRequest(pkt, coin, fpr)
	if err != nil {
		return nil, nil, err
	}
	res, err := c.SignTx(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	var sigs []Signature
	for i, in := range own {
		s, ok := res.Signatures[i]
		if !ok {
			return nil, nil, fmt.Errorf("%w: the device returned no signature for input %d", ErrProtocol, i)
		}
		if in.script == tw.SpendTaproot {
			if len(s) != 64 {
				return nil, nil, fmt.Errorf("%w: input %d: Schnorr signature of %d bytes", ErrProtocol, i, len(s))
			}
		} else {
			if err := parseDER(s); err != nil {
				return nil, nil, fmt.Errorf("%w: input %d: %v", ErrProtocol, i, err)
			}
			s = append(slices.Clip(s), byte(txscript.SigHashAll))
		}
		sigs = append(sigs, Signature{Input: i, PubKey: in.pubKey, Signature: s})
	}
	return sigs, res, nil
}

// parseDER checks a strict DER ECDSA signature.
func parseDER(s []byte) error {
	_, err := ecdsa.ParseDERSignature(s)
	return err
}
