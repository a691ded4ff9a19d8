package wallet

// Creator role (BIP 174): choose the coins, build the unsigned transaction
// and wrap it in a PSBT. The updater (psbt_update.go) then adds what the
// signer needs.

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// Fee limits. BuildPSBT refuses a fee above MaxFeeShare of the amount sent
// or a rate above MaxFeeRate unless Request.AllowHighFee is set; both catch
// a mistyped rate (sat/vB for sat/kvB, an extra zero) before a device shows
// a number the user may not check.
const (
	MaxFeeShare = 0.10
	MaxFeeRate  = 1000.0 // sat/vB
	MinFeeRate  = 0.1    // sat/vB; nodes older than Bitcoin Core 29.1 relay from 1 sat/vB only
)

// Sequence numbers of the inputs.
const (
	SequenceRBF      = 0xfffffffd // BIP 125: replaceable, locktime enforced
	SequenceLocktime = 0xfffffffe // not replaceable, locktime enforced
	SequenceFinal    = 0xffffffff
)

// Recipient is one payment.
type Recipient struct {
	Address string
	Sats    int64
}

// Request is what to pay and how.
type Request struct {
	Recipients []Recipient
	FeeRate    float64 // sat/vB

	// Inputs, when not empty, are the outputs to spend, all of them and
	// only them (coin control). Otherwise coins are chosen largest first.
	Inputs []wire.OutPoint
	// Frozen outputs are never spent, not even when listed in Inputs.
	Frozen []wire.OutPoint
	// IncludeUnconfirmed lets coin selection use outputs of mempool
	// transactions; by default only confirmed outputs are chosen.
	IncludeUnconfirmed bool

	// SubtractFee takes the fee from the recipients' amounts (shared
	// equally, the first paying the remainder) instead of adding it:
	// the way to send everything ("sweep") with Inputs set to every UTXO.
	SubtractFee bool
	// NoRBF makes the transaction final (not replaceable, BIP 125); by
	// default it signals replaceability.
	NoRBF bool
	// NoLocktime leaves nLockTime at 0; by default it is the tip height
	// of the State (anti fee sniping, as Bitcoin Core does).
	NoLocktime bool
	// AllowHighFee lifts the MaxFeeShare and MaxFeeRate guards.
	AllowHighFee bool
}

// Draft is a PSBT ready for signing with what it does.
type Draft struct {
	Packet *psbt.Packet
	Inputs []UTXO // in the order of the transaction's inputs

	Fee   int64 // satoshis
	VSize int64 // estimated virtual size once signed (an upper bound)
	Sent  int64 // total paid to the recipients, after any SubtractFee

	// ChangeOutput is the index of the change output, or -1.
	ChangeOutput int
	Change       AddressInfo // the change address, when ChangeOutput >= 0
}

// Errors of BuildPSBT; the returned errors wrap them and give the figures.
var (
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrDust              = errors.New("amount below the dust limit")
	ErrHighFee           = errors.New("fee too high")
	ErrBadRequest        = errors.New("invalid payment request")
	ErrUnknownInput      = errors.New("not an unspent output of this wallet")
)

// AddressError reports a recipient address that is malformed or belongs to
// another network than the wallet's.
type AddressError struct {
	Address string
	Network descriptor.Network // the wallet's
	Err     error
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("address %q is not a valid %s address: %v", e.Address, e.Network, e.Err)
}

func (e *AddressError) Unwrap() error { return e.Err }

// HighFeeError reports a fee above the guards.
type HighFeeError struct {
	Fee, Sent int64
	Rate      float64 // sat/vB
}

func (e *HighFeeError) Error() string {
	return fmt.Sprintf("%v: %d sat (%.1f sat/vB) to send %d sat; the limits are %.0f%% of the amount and %.0f sat/vB (set AllowHighFee to go ahead)",
		ErrHighFee, e.Fee, e.Rate, e.Sent, MaxFeeShare*100, MaxFeeRate)
}

func (e *HighFeeError) Unwrap() error { return ErrHighFee }

// DecodeAddress parses a recipient address for network net and returns its
// output script. The error is an *AddressError naming the address, and
// says which network the address belongs to when it is another one.
func DecodeAddress(addr string, net descriptor.Network) ([]byte, error) {
	params := net.Params()
	a, err := btcutil.DecodeAddress(addr, params)
	if err == nil && !a.IsForNet(params) {
		err = errors.New("wrong network")
	}
	if err != nil {
		for _, other := range []descriptor.Network{descriptor.Mainnet, descriptor.Testnet, descriptor.Regtest} {
			if other == net || other.Params() == nil {
				continue
			}
			if oa, oerr := btcutil.DecodeAddress(addr, other.Params()); oerr == nil && oa.IsForNet(other.Params()) {
				name := other.String()
				if other == descriptor.Testnet {
					name = "testnet or signet"
				}
				return nil, &AddressError{Address: addr, Network: net, Err: fmt.Errorf("it is a %s address", name)}
			}
		}
		return nil, &AddressError{Address: addr, Network: net, Err: err}
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return nil, &AddressError{Address: addr, Network: net, Err: err}
	}
	return script, nil
}

// BuildPSBT chooses coins for req, builds the unsigned transaction with a
// change output when the change is above dust, and returns the PSBT with
// every field a hardware wallet needs (see the updater, psbt_update.go).
//
// Coin selection is largest-first: confirmed outputs (and unconfirmed ones
// with IncludeUnconfirmed), biggest first, until they pay the recipients and
// the fee. It spends few inputs, which keeps fees low and leaves small
// outputs for later consolidation at a cheaper time; it does not look for a
// changeless match. Change below the dust limit of its script type is left
// to the fee. Inputs and outputs are put in random order.
//
// The size is estimated per script type (inputs P2PKH 148 vB, P2SH-P2WPKH
// 91, P2WPKH 68, P2TR 57.5, multisig by its threshold and script, e.g.
// 104.5 vB for a 2-of-3 P2WSH; outputs 9 bytes plus their script), which
// is an upper bound of the signed size, so the fee rate paid is at least
// FeeRate.
func BuildPSBT(state *State, req Request) (*Draft, error) {
	w := state.w
	if w == nil {
		return nil, ErrUnbound
	}
	net := w.Net()
	if len(req.Recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrBadRequest)
	}
	if math.IsNaN(req.FeeRate) || math.IsInf(req.FeeRate, 0) || req.FeeRate < MinFeeRate {
		return nil, fmt.Errorf("%w: fee rate %v sat/vB is below the minimum of %v", ErrBadRequest, req.FeeRate, MinFeeRate)
	}

	// Recipients.
	var outs []*wire.TxOut
	var target int64
	for _, r := range req.Recipients {
		script, err := DecodeAddress(r.Address, net)
		if err != nil {
			return nil, err
		}
		if r.Sats <= 0 || r.Sats > btcutil.MaxSatoshi {
			return nil, fmt.Errorf("%w: amount %d sat to %s", ErrBadRequest, r.Sats, r.Address)
		}
		if d := dustLimit(script); r.Sats < d {
			return nil, fmt.Errorf("%w: %d sat to %s (the limit is %d sat)", ErrDust, r.Sats, r.Address, d)
		}
		outs = append(outs, wire.NewTxOut(r.Sats, script))
		target += r.Sats
	}

	// Candidates.
	frozen := map[wire.OutPoint]bool{}
	for _, op := range req.Frozen {
		frozen[op] = true
	}
	utxos := state.UTXOs() // largest first
	var cands []UTXO
	if len(req.Inputs) > 0 {
		byOP := map[wire.OutPoint]UTXO{}
		for _, u := range utxos {
			byOP[u.OutPoint] = u
		}
		seen := map[wire.OutPoint]bool{}
		for _, op := range req.Inputs {
			u, ok := byOP[op]
			if !ok {
				return nil, fmt.Errorf("%w: %s", ErrUnknownInput, op)
			}
			if frozen[op] {
				return nil, fmt.Errorf("%w: %s is frozen", ErrBadRequest, op)
			}
			if seen[op] {
				return nil, fmt.Errorf("%w: %s listed twice", ErrBadRequest, op)
			}
			seen[op] = true
			cands = append(cands, u)
		}
	} else {
		for _, u := range utxos {
			if frozen[u.OutPoint] || (!u.Confirmed() && !req.IncludeUnconfirmed) {
				continue
			}
			cands = append(cands, u)
		}
	}
	var avail int64
	for _, u := range cands {
		avail += u.Value
	}
	if target > avail {
		return nil, fmt.Errorf("%w: sending %d sat but %d sat are spendable", ErrInsufficientFunds, target, avail)
	}

	// Change address.
	change, err := state.NextChange()
	if err != nil {
		return nil, fmt.Errorf("change address: %w", err)
	}
	changeDust := dustLimit(change.Script)
	inWeight, segwit, err := w.spendWeight()
	if err != nil {
		return nil, err
	}

	// Selection.
	sel, fee, changeValue, err := selectCoins(cands, len(req.Inputs) > 0, target, outs, change.Script,
		changeDust, inWeight, segwit, req.FeeRate, req.SubtractFee)
	if err != nil {
		return nil, err
	}

	// Fee from the recipients.
	if req.SubtractFee {
		var sum int64
		for _, u := range sel {
			sum += u.Value
		}
		// What the inputs leave over the recipients' amounts (below the
		// dust limit of a change output) pays part of the fee.
		paid := fee - (sum - target - changeValue)
		share := paid / int64(len(outs))
		rest := paid - share*int64(len(outs))
		for i, o := range outs {
			o.Value -= share
			if i == 0 {
				o.Value -= rest
			}
			if d := dustLimit(o.PkScript); o.Value < d {
				return nil, fmt.Errorf("%w: %s would receive %d sat after paying its share of the %d sat fee (the limit is %d sat)",
					ErrDust, req.Recipients[i].Address, o.Value, paid, d)
			}
		}
	}
	var sent int64
	for _, o := range outs {
		sent += o.Value
	}

	// Guards.
	vsize := estimateVSize(len(sel), inWeight, segwit, outs, changeValue > 0, change.Script)
	rate := float64(fee) / float64(vsize)
	if !req.AllowHighFee && (float64(fee) > MaxFeeShare*float64(target) || rate > MaxFeeRate) {
		return nil, &HighFeeError{Fee: fee, Sent: target, Rate: rate}
	}

	// The transaction.
	tx := wire.NewMsgTx(2)
	rand.Shuffle(len(sel), func(i, j int) { sel[i], sel[j] = sel[j], sel[i] })
	seq := uint32(SequenceRBF)
	if req.NoRBF {
		seq = SequenceLocktime
	}
	if !req.NoLocktime && state.tip.Height > 0 {
		tx.LockTime = uint32(state.tip.Height)
	} else if req.NoRBF {
		seq = SequenceFinal
	}
	for _, u := range sel {
		in := wire.NewTxIn(&u.OutPoint, nil, nil)
		in.Sequence = seq
		tx.AddTxIn(in)
	}
	changeOut := -1
	if changeValue > 0 {
		changeOut = rand.IntN(len(outs) + 1)
		outs = append(outs[:changeOut], append([]*wire.TxOut{wire.NewTxOut(changeValue, change.Script)}, outs[changeOut:]...)...)
	}
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	p, err := psbt.NewFromUnsignedTx(tx)
	if err != nil {
		return nil, err
	}
	d := &Draft{Packet: p, Inputs: sel, Fee: fee, VSize: vsize, Sent: sent, ChangeOutput: changeOut}
	if changeOut >= 0 {
		d.Change = change
	}
	if err := updatePSBT(state, d); err != nil {
		return nil, err
	}
	return d, nil
}

// selectCoins picks inputs largest first (or all of them with coinControl)
// and returns them with the fee and the change value (0: no change output).
func selectCoins(cands []UTXO, coinControl bool, target int64, outs []*wire.TxOut, changeScript []byte,
	changeDust int64, inWeight int64, segwit bool, rate float64, subtract bool) ([]UTXO, int64, int64, error) {
	var sel []UTXO
	var sum int64
	for i, u := range cands {
		sel = append(sel, u)
		sum += u.Value
		if coinControl && i < len(cands)-1 {
			continue
		}
		feeNo := feeFor(estimateVSize(len(sel), inWeight, segwit, outs, false, nil), rate)
		feeCh := feeFor(estimateVSize(len(sel), inWeight, segwit, outs, true, changeScript), rate)
		if subtract {
			if sum < target {
				continue
			}
			if ch := sum - target; ch >= changeDust {
				return sel, feeCh, ch, nil
			}
			// No change: the excess pays part of the fee.
			return sel, max(feeNo, sum-target), 0, nil
		}
		if ch := sum - target - feeCh; ch >= changeDust {
			return sel, feeCh, ch, nil
		}
		if sum >= target+feeNo {
			return sel, sum - target, 0, nil
		}
	}
	need := target
	if !subtract {
		need += feeFor(estimateVSize(len(sel), inWeight, segwit, outs, false, nil), rate)
	}
	return nil, 0, 0, fmt.Errorf("%w: %d sat needed (amount and fee) but the chosen outputs hold %d sat", ErrInsufficientFunds, need, sum)
}

func feeFor(vsize int64, rate float64) int64 {
	return int64(math.Ceil(float64(vsize) * rate))
}

// inputWeight is the weight of a signed input of the script type, with
// 72-byte signatures (the largest low-S DER signature with its sighash byte).
func inputWeight(t descriptor.ScriptType) int64 {
	switch t {
	case descriptor.PKH:
		return 148 * 4
	case descriptor.SHWPKH:
		return 91 * 4
	case descriptor.WPKH:
		return 68 * 4
	case descriptor.TR:
		return 230 // 57.5 vB
	}
	return 148 * 4
}

// spendWeight is the weight of one of the wallet's inputs, signed, and
// whether spending it is a segwit spend.
func (w *Wallet) spendWeight() (int64, bool, error) {
	if w.Multisig == nil {
		t := w.Descriptor.Type()
		return inputWeight(t), t != descriptor.PKH, nil
	}
	d, err := w.Multisig.Derive(false, 0)
	if err != nil {
		return 0, false, err
	}
	k := w.Multisig.Threshold()
	return multisigInputWeight(w.Multisig.Wrap(), k, len(d.Script)), w.Multisig.Wrap() != descriptor.WrapSH, nil
}

// multisigInputWeight is the weight of a signed k-of-n multisig input
// whose multisig script is scriptLen bytes long, with 72-byte signatures:
//
//	wsh     outpoint, sequence, empty scriptSig (41 bytes, times 4), and the
//	        witness: item count, the empty item OP_CHECKMULTISIG pops, k
//	        signatures, the witness script
//	sh-wsh  the same with a 35-byte scriptSig pushing the P2WSH program
//	sh      scriptSig OP_0, k signatures, the redeem script; no witness
func multisigInputWeight(wrap descriptor.Wrap, k, scriptLen int) int64 {
	const sig = 1 + 72 // push and signature with its sighash byte
	witness := int64(wire.VarIntSerializeSize(uint64(k+2)) + 1 + k*sig + wire.VarIntSerializeSize(uint64(scriptLen)) + scriptLen)
	switch wrap {
	case descriptor.WrapWSH:
		return 41*4 + witness
	case descriptor.WrapSHWSH:
		return 76*4 + witness
	}
	push := 1
	switch {
	case scriptLen > 255:
		push = 3 // OP_PUSHDATA2
	case scriptLen > 75:
		push = 2 // OP_PUSHDATA1
	}
	ss := 1 + k*sig + push + scriptLen
	return int64(32+4+wire.VarIntSerializeSize(uint64(ss))+ss+4) * 4
}

// estimateVSize is the virtual size of a transaction with n inputs of the
// given weight, the outputs and optionally a change output.
func estimateVSize(n int, inWeight int64, segwit bool, outs []*wire.TxOut, withChange bool, changeScript []byte) int64 {
	nOut := len(outs)
	if withChange {
		nOut++
	}
	weight := int64(4+4+wire.VarIntSerializeSize(uint64(n))+wire.VarIntSerializeSize(uint64(nOut))) * 4
	if segwit {
		weight += 2 // marker and flag
	}
	weight += int64(n) * inWeight
	for _, o := range outs {
		weight += int64(o.SerializeSize()) * 4
	}
	if withChange {
		weight += int64(8+wire.VarIntSerializeSize(uint64(len(changeScript)))+len(changeScript)) * 4
	}
	return (weight + 3) / 4
}

// dustLimit is the smallest value an output with this script may carry, as
// Bitcoin Core computes it at its default dust relay fee of 3 sat/vB: three
// times the output's size plus the size of the input that would spend it
// (67 vB for witness programs, 148 for others).
func dustLimit(script []byte) int64 {
	size := int64(8 + wire.VarIntSerializeSize(uint64(len(script))) + len(script))
	if _, _, err := txscript.ExtractWitnessProgramInfo(script); err == nil {
		return 3 * (size + 67)
	}
	return 3 * (size + 148)
}
