package trezor

import (
	"bytes"
	"slices"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/sim/keys"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// input is an input of the transaction being signed, as first sent.
type input struct {
	msg    wire.TxInput
	raw    []byte // its encoding, to check it comes back unchanged
	script []byte // the output script it spends (from its path)
}

// txRequest sends a TxRequest and returns the TransactionType of the
// host's TxAck.
func (d *Device) txRequest(typ uint32, index *uint32, hash []byte, ser *wire.TxRequestSerialized) (wire.TransactionType, []byte, error) {
	r := wire.TxRequest{RequestType: typ, Serialized: ser}
	if index != nil || hash != nil {
		r.Details = &wire.TxRequestDetails{RequestIndex: index, TxHash: hash}
	}
	m, err := d.ask(r, wire.TypeTxAck)
	if err != nil {
		return wire.TransactionType{}, nil, err
	}
	var ack wire.TxAck
	if err := wire.Unmarshal(m.payload, &ack); err != nil {
		return wire.TransactionType{}, nil, fail(wire.FailureDataError, "Failed to decode message: "+err.Error())
	}
	return ack.Tx, m.payload, nil
}

func u32(v uint32) *uint32 { return &v }

// reversed returns b byte-reversed (display order <-> raw order).
func reversed(b []byte) []byte {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out
}

// signTx runs the signing flow of legacy/firmware/signing.c in outline:
// inputs, outputs (each external one confirmed), total and fee confirmed,
// previous transactions checked unless every input is taproot, then each
// input asked again and signed, each output asked again, and the signed
// transaction sent with TXFINISHED.
func (d *Device) signTx(s wire.SignTx) error {
	c, err := coinNamed(s.CoinName)
	if err != nil {
		return err
	}
	if s.InputsCount == 0 || s.OutputsCount == 0 {
		return fail(wire.FailureDataError, "Transaction must have at least one input and one output")
	}
	k, err := d.keyring()
	if err != nil {
		return err
	}
	tx := btcwire.NewMsgTx(int32(s.Version))
	tx.LockTime = s.LockTime

	// 1. Inputs.
	ins := make([]input, s.InputsCount)
	var totalIn uint64
	allTaproot := true
	for i := range ins {
		t, raw, err := d.txRequest(wire.RequestInput, u32(uint32(i)), nil, nil)
		if err != nil {
			return err
		}
		if len(t.Inputs) != 1 {
			return fail(wire.FailureDataError, "Expected one input")
		}
		in := t.Inputs[0]
		if in.ScriptType == wire.External || in.ScriptType == wire.SpendMultisig {
			return fail(wire.FailureDataError, "Unsupported script type")
		}
		if len(in.PrevHash) != 32 || len(in.AddressN) == 0 {
			return fail(wire.FailureDataError, "Invalid input")
		}
		script, err := scriptFor(k, in.AddressN, in.ScriptType)
		if err != nil {
			return err
		}
		if in.ScriptType != wire.SpendTaproot {
			allTaproot = false
		}
		seq := uint32(0xffffffff)
		if in.Sequence != nil {
			seq = *in.Sequence
		}
		h, _ := chainhash.NewHash(reversed(in.PrevHash))
		tx.AddTxIn(&btcwire.TxIn{PreviousOutPoint: btcwire.OutPoint{Hash: *h, Index: in.PrevIndex}, Sequence: seq})
		ins[i] = input{msg: in, raw: raw, script: script}
		totalIn += in.Amount
	}

	// 2. Outputs.
	outRaw := make([][]byte, s.OutputsCount)
	var totalOut uint64
	for j := range outRaw {
		t, raw, err := d.txRequest(wire.RequestOutput, u32(uint32(j)), nil, nil)
		if err != nil {
			return err
		}
		if len(t.Outputs) != 1 {
			return fail(wire.FailureDataError, "Expected one output")
		}
		o := t.Outputs[0]
		script, change, err := outputScript(k, o, c)
		if err != nil {
			return err
		}
		if !change {
			if err := d.button(wire.ButtonConfirmOutput, ScreenOutput); err != nil {
				return err
			}
		}
		tx.AddTxOut(btcwire.NewTxOut(int64(o.Amount), script))
		outRaw[j] = raw
		totalOut += o.Amount
	}
	if totalOut > totalIn {
		return fail(wire.FailureNotEnoughFunds, "Not enough funds")
	}
	if err := d.button(wire.ButtonSignTx, ScreenSign); err != nil {
		return err
	}

	// 3. Previous transactions.
	if !allTaproot {
		for i := range ins {
			if err := d.checkPrev(ins[i]); err != nil {
				return err
			}
		}
	}

	// 4. Signatures: each input again, then each output again.
	prevs := map[btcwire.OutPoint]*btcwire.TxOut{}
	for i, in := range ins {
		prevs[tx.TxIn[i].PreviousOutPoint] = btcwire.NewTxOut(int64(in.msg.Amount), in.script)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevs)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	var pending *wire.TxRequestSerialized
	for i, in := range ins {
		_, raw, err := d.txRequest(wire.RequestInput, u32(uint32(i)), nil, pending)
		if err != nil {
			return err
		}
		if !bytes.Equal(raw, in.raw) {
			return fail(wire.FailureProcessError, "Transaction has changed during signing")
		}
		sig, err := signInput(k, tx, i, in, hashes, fetcher)
		if err != nil {
			return err
		}
		pending = &wire.TxRequestSerialized{SignatureIndex: u32(uint32(i)), Signature: sig}
	}
	for j, raw := range outRaw {
		_, again, err := d.txRequest(wire.RequestOutput, u32(uint32(j)), nil, pending)
		if err != nil {
			return err
		}
		pending = nil
		if !bytes.Equal(again, raw) {
			return fail(wire.FailureProcessError, "Transaction has changed during signing")
		}
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return err
	}
	if pending == nil {
		pending = &wire.TxRequestSerialized{}
	}
	pending.SerializedTx = buf.Bytes()
	d.send(wire.TxRequest{RequestType: wire.RequestFinished, Serialized: pending})
	return nil
}

// outputScript returns the script an output pays to and whether it is
// change (the device's own key, given by path).
func outputScript(k *keys.Keyring, o wire.TxOutput, c coin) ([]byte, bool, error) {
	switch {
	case o.ScriptType == wire.PayToOpReturn:
		if o.Amount != 0 || len(o.AddressN) > 0 || o.Address != "" {
			return nil, false, fail(wire.FailureDataError, "OP_RETURN output with address or amount")
		}
		script, err := txscript.NullDataScript(o.OpReturnData)
		if err != nil {
			return nil, false, fail(wire.FailureDataError, "OP_RETURN data too long")
		}
		return script, false, nil
	case len(o.AddressN) > 0:
		st, ok := outputInputType[o.ScriptType]
		if !ok {
			return nil, false, fail(wire.FailureDataError, "Unsupported output script type")
		}
		script, err := scriptFor(k, o.AddressN, st)
		return script, true, err
	case o.Address != "":
		a, err := btcutil.DecodeAddress(o.Address, c.params)
		if err != nil || !a.IsForNet(c.params) {
			return nil, false, fail(wire.FailureDataError, "Invalid address")
		}
		script, err := txscript.PayToAddrScript(a)
		if err != nil {
			return nil, false, fail(wire.FailureDataError, "Invalid address")
		}
		return script, false, nil
	}
	return nil, false, fail(wire.FailureDataError, "Missing address")
}

// checkPrev streams the previous transaction of an input and checks that
// it hashes to the txid spent and that the output spent has the input's
// amount and script.
func (d *Device) checkPrev(in input) error {
	hash := in.msg.PrevHash
	meta, _, err := d.txRequest(wire.RequestMeta, nil, hash, nil)
	if err != nil {
		return err
	}
	if meta.Version == nil || meta.LockTime == nil || meta.InputsCnt == nil || meta.OutputsCnt == nil {
		return fail(wire.FailureDataError, "Missing previous transaction metadata")
	}
	ptx := btcwire.NewMsgTx(int32(*meta.Version))
	ptx.LockTime = *meta.LockTime
	for j := uint32(0); j < *meta.InputsCnt; j++ {
		t, _, err := d.txRequest(wire.RequestInput, u32(j), hash, nil)
		if err != nil {
			return err
		}
		if len(t.Inputs) != 1 || len(t.Inputs[0].PrevHash) != 32 {
			return fail(wire.FailureDataError, "Expected one previous input")
		}
		pi := t.Inputs[0]
		h, _ := chainhash.NewHash(reversed(pi.PrevHash))
		seq := uint32(0xffffffff)
		if pi.Sequence != nil {
			seq = *pi.Sequence
		}
		ptx.AddTxIn(&btcwire.TxIn{PreviousOutPoint: btcwire.OutPoint{Hash: *h, Index: pi.PrevIndex}, SignatureScript: pi.ScriptSig, Sequence: seq})
	}
	for j := uint32(0); j < *meta.OutputsCnt; j++ {
		t, _, err := d.txRequest(wire.RequestOutput, u32(j), hash, nil)
		if err != nil {
			return err
		}
		if len(t.BinOutputs) != 1 {
			return fail(wire.FailureDataError, "Expected one previous output")
		}
		ptx.AddTxOut(btcwire.NewTxOut(int64(t.BinOutputs[0].Amount), t.BinOutputs[0].ScriptPubkey))
	}
	got := ptx.TxHash()
	if d.Faults().BadPrevHash {
		got[0] ^= 0xff
	}
	if !bytes.Equal(reversed(got[:]), hash) {
		return fail(wire.FailureDataError, "Encountered invalid prevhash")
	}
	if int(in.msg.PrevIndex) >= len(ptx.TxOut) {
		return fail(wire.FailureDataError, "Not enough outputs in previous transaction")
	}
	out := ptx.TxOut[in.msg.PrevIndex]
	if uint64(out.Value) != in.msg.Amount {
		return fail(wire.FailureDataError, "Invalid amount specified")
	}
	if !bytes.Equal(out.PkScript, in.script) {
		return fail(wire.FailureDataError, "Input does not match scriptPubKey")
	}
	return nil
}

// signInput signs input i, fills in its scriptSig or witness in tx, and
// returns the signature the device reports: DER without sighash byte, or
// 64-byte Schnorr.
func signInput(k *keys.Keyring, tx *btcwire.MsgTx, i int, in input, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher) ([]byte, error) {
	path := in.msg.AddressN
	pub, err := k.Pubkey(path)
	if err != nil {
		return nil, err
	}
	p2wpkh := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(pub)...)
	switch in.msg.ScriptType {
	case wire.SpendAddress:
		h, err := txscript.CalcSignatureHash(in.script, txscript.SigHashAll, tx, i)
		if err != nil {
			return nil, err
		}
		sig, err := k.SignECDSA(path, h)
		if err != nil {
			return nil, err
		}
		tx.TxIn[i].SignatureScript, err = txscript.NewScriptBuilder().AddData(append(slices.Clone(sig), byte(txscript.SigHashAll))).AddData(pub).Script()
		return sig, err
	case wire.SpendWitness, wire.SpendP2SHWitness:
		h, err := txscript.CalcWitnessSigHash(p2wpkh, hashes, txscript.SigHashAll, tx, i, int64(in.msg.Amount))
		if err != nil {
			return nil, err
		}
		sig, err := k.SignECDSA(path, h)
		if err != nil {
			return nil, err
		}
		tx.TxIn[i].Witness = btcwire.TxWitness{append(slices.Clone(sig), byte(txscript.SigHashAll)), pub}
		if in.msg.ScriptType == wire.SpendP2SHWitness {
			tx.TxIn[i].SignatureScript, err = txscript.NewScriptBuilder().AddData(p2wpkh).Script()
		}
		return sig, err
	case wire.SpendTaproot:
		h, err := txscript.CalcTaprootSignatureHash(hashes, txscript.SigHashDefault, tx, i, fetcher)
		if err != nil {
			return nil, err
		}
		sig, err := k.SignTaproot(path, h)
		if err != nil {
			return nil, err
		}
		tx.TxIn[i].Witness = btcwire.TxWitness{sig}
		return sig, nil
	}
	return nil, fail(wire.FailureDataError, "Unsupported script type")
}
