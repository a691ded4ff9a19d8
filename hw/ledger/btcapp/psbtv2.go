package btcapp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// PSBT key types this file reads or writes (BIP 174 and BIP 370).
const (
	psbtGlobalUnsignedTx   = 0x00
	psbtGlobalTxVersion    = 0x02
	psbtGlobalFallbackLock = 0x03
	psbtGlobalInputCount   = 0x04
	psbtGlobalOutputCount  = 0x05
	psbtGlobalVersion      = 0xFB
	psbtInPreviousTxid     = 0x0E
	psbtInOutputIndex      = 0x0F
	psbtInSequence         = 0x10
	psbtOutAmount          = 0x03
	psbtOutScript          = 0x04
	psbtMagic              = "psbt\xff"
	maxPSBTMapsPerSide     = 10000 // sanity bound on declared counts
)

// ErrPSBT reports a PSBT this package cannot split into maps.
var ErrPSBT = errors.New("btcapp: invalid PSBT")

// PSBTMaps is a PSBT version 2 as the device reads it: the global map and
// one map per input and per output, each Merkleized. A map key is the key
// type byte followed by the key data (no length prefix); a value is the raw
// value bytes.
type PSBTMaps struct {
	Global  *merkle.Map
	Inputs  []*merkle.Map
	Outputs []*merkle.Map
}

type rawPair struct{ key, value []byte }

// readMap reads key-value pairs up to the 0x00 separator.
func readMap(b []byte) ([]rawPair, []byte, error) {
	var out []rawPair
	for {
		kl, n, err := varint.Read(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: key length: %v", ErrPSBT, err)
		}
		b = b[n:]
		if kl == 0 {
			return out, b, nil
		}
		if uint64(len(b)) < kl {
			return nil, nil, fmt.Errorf("%w: truncated key", ErrPSBT)
		}
		key := b[:kl]
		b = b[kl:]
		vl, n, err := varint.Read(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: value length: %v", ErrPSBT, err)
		}
		b = b[n:]
		if uint64(len(b)) < vl {
			return nil, nil, fmt.Errorf("%w: truncated value", ErrPSBT)
		}
		out = append(out, rawPair{key, b[:vl]})
		b = b[vl:]
	}
}

func find(m []rawPair, keyType byte) ([]byte, bool) {
	for _, p := range m {
		if len(p.key) == 1 && p.key[0] == keyType {
			return p.value, true
		}
	}
	return nil, false
}

func without(m []rawPair, keyTypes ...byte) []rawPair {
	var out []rawPair
	for _, p := range m {
		if len(p.key) == 1 && bytes.IndexByte(keyTypes, p.key[0]) >= 0 {
			continue
		}
		out = append(out, p)
	}
	return out
}

func u32le(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func single(t byte) []byte { return []byte{t} }

// SplitPSBT splits a serialized PSBT into Merkleized maps, converting
// version 0 to version 2 on the way:
//
//   - global: drop UNSIGNED_TX (0x00); add TX_VERSION (0x02, i32 LE),
//     FALLBACK_LOCKTIME (0x03, the transaction's nLockTime, u32 LE),
//     INPUT_COUNT (0x04) and OUTPUT_COUNT (0x05) as varints, and VERSION
//     (0xFB) = 2 (u32 LE);
//   - each input: add PREVIOUS_TXID (0x0E, 32 bytes in internal byte
//     order), OUTPUT_INDEX (0x0F, u32 LE) and SEQUENCE (0x10, u32 LE);
//   - each output: add AMOUNT (0x03, i64 LE) and SCRIPT (0x04).
//
// Every other field is kept as it is. A version 2 PSBT is split as is.
func SplitPSBT(raw []byte) (*PSBTMaps, error) {
	if !bytes.HasPrefix(raw, []byte(psbtMagic)) {
		return nil, fmt.Errorf("%w: missing magic", ErrPSBT)
	}
	b := raw[len(psbtMagic):]
	global, b, err := readMap(b)
	if err != nil {
		return nil, err
	}

	var nIn, nOut int
	var tx *wire.MsgTx
	if utx, ok := find(global, psbtGlobalUnsignedTx); ok {
		tx = new(wire.MsgTx)
		if err := tx.DeserializeNoWitness(bytes.NewReader(utx)); err != nil {
			return nil, fmt.Errorf("%w: unsigned tx: %v", ErrPSBT, err)
		}
		nIn, nOut = len(tx.TxIn), len(tx.TxOut)
		global = without(global, psbtGlobalUnsignedTx, psbtGlobalTxVersion, psbtGlobalFallbackLock,
			psbtGlobalInputCount, psbtGlobalOutputCount, psbtGlobalVersion)
		global = append(global,
			rawPair{single(psbtGlobalTxVersion), u32le(uint32(tx.Version))},
			rawPair{single(psbtGlobalFallbackLock), u32le(tx.LockTime)},
			rawPair{single(psbtGlobalInputCount), varint.Append(nil, uint64(nIn))},
			rawPair{single(psbtGlobalOutputCount), varint.Append(nil, uint64(nOut))},
			rawPair{single(psbtGlobalVersion), u32le(2)},
		)
	} else {
		ver, ok := find(global, psbtGlobalVersion)
		if !ok || len(ver) != 4 || binary.LittleEndian.Uint32(ver) != 2 {
			return nil, fmt.Errorf("%w: neither an unsigned transaction nor version 2", ErrPSBT)
		}
		ic, ok1 := find(global, psbtGlobalInputCount)
		oc, ok2 := find(global, psbtGlobalOutputCount)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: version 2 without input or output count", ErrPSBT)
		}
		ni, _, err1 := varint.Read(ic)
		no, _, err2 := varint.Read(oc)
		if err1 != nil || err2 != nil || ni > maxPSBTMapsPerSide || no > maxPSBTMapsPerSide {
			return nil, fmt.Errorf("%w: bad input or output count", ErrPSBT)
		}
		nIn, nOut = int(ni), int(no)
	}

	out := &PSBTMaps{}
	if out.Global, err = toMap(global); err != nil {
		return nil, err
	}
	for i := range nIn {
		var m []rawPair
		if m, b, err = readMap(b); err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		if tx != nil {
			in := tx.TxIn[i]
			m = without(m, psbtInPreviousTxid, psbtInOutputIndex, psbtInSequence)
			m = append(m,
				rawPair{single(psbtInPreviousTxid), bytes.Clone(in.PreviousOutPoint.Hash[:])},
				rawPair{single(psbtInOutputIndex), u32le(in.PreviousOutPoint.Index)},
				rawPair{single(psbtInSequence), u32le(in.Sequence)},
			)
		}
		mm, err := toMap(m)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		out.Inputs = append(out.Inputs, mm)
	}
	for i := range nOut {
		var m []rawPair
		if m, b, err = readMap(b); err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
		if tx != nil {
			o := tx.TxOut[i]
			m = without(m, psbtOutAmount, psbtOutScript)
			m = append(m,
				rawPair{single(psbtOutAmount), binary.LittleEndian.AppendUint64(nil, uint64(o.Value))},
				rawPair{single(psbtOutScript), bytes.Clone(o.PkScript)},
			)
		}
		mm, err := toMap(m)
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
		out.Outputs = append(out.Outputs, mm)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last map", ErrPSBT, len(b))
	}
	return out, nil
}

func toMap(m []rawPair) (*merkle.Map, error) {
	pairs := make([]merkle.Pair, len(m))
	for i, p := range m {
		pairs[i] = merkle.Pair{Key: p.key, Value: p.value}
	}
	mm, err := merkle.NewMap(pairs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPSBT, err)
	}
	return mm, nil
}
