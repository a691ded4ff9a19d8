package chain

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// This file holds the checks a backend applies to what a server sends
// (simplified payment verification): that a transaction touches the script
// whose history lists it, that a merkle branch leads from a transaction to
// its block header's merkle root, and that block headers link and carry
// the work they claim. Failed checks wrap ErrLie.

// headerLen is the size of a serialized block header.
const headerLen = 80

// ParseHeaderHex decodes an 80-byte block header from hex.
func ParseHeaderHex(hexStr string) (*wire.BlockHeader, error) {
	raw, err := decodeHex(hexStr)
	if err != nil {
		return nil, err
	}
	if len(raw) != headerLen {
		return nil, fmt.Errorf("block header is %d bytes, want %d", len(raw), headerLen)
	}
	var h wire.BlockHeader
	if err := h.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return &h, nil
}

// merkleRoot folds a merkle branch, deepest pairing first, from leaf at
// position pos up to the root, the way Electrum servers (and Esplora's
// merkle-proof endpoint) describe inclusion.
func merkleRoot(leaf chainhash.Hash, branch []chainhash.Hash, pos int) (chainhash.Hash, error) {
	if pos < 0 {
		return chainhash.Hash{}, fmt.Errorf("negative position %d in merkle proof", pos)
	}
	if len(branch) > maxBranch || pos>>len(branch) != 0 {
		return chainhash.Hash{}, fmt.Errorf("position %d does not fit a merkle branch of %d hashes", pos, len(branch))
	}
	h := leaf
	var buf [64]byte
	for _, sib := range branch {
		if pos&1 == 0 {
			copy(buf[:32], h[:])
			copy(buf[32:], sib[:])
		} else {
			copy(buf[:32], sib[:])
			copy(buf[32:], h[:])
		}
		h = chainhash.DoubleHashH(buf[:])
		pos >>= 1
	}
	return h, nil
}

// CheckInclusion verifies that tx is in the block whose header is hdr,
// given the server's merkle branch (deepest pairing first) and the
// transaction's position in the block. A transaction of exactly 64 bytes
// (without witness) is refused: it could be an inner node of the tree
// rather than a transaction, and such transactions are non-standard.
// Failures wrap ErrLie.
func CheckInclusion(tx *wire.MsgTx, hdr *wire.BlockHeader, branch []chainhash.Hash, pos int) error {
	if tx.SerializeSizeStripped() == 64 {
		return fmt.Errorf("%w: transaction %s is 64 bytes, which a merkle proof cannot tell from an inner node", ErrLie, tx.TxHash())
	}
	root, err := merkleRoot(tx.TxHash(), branch, pos)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLie, err)
	}
	if root != hdr.MerkleRoot {
		return fmt.Errorf("%w: merkle proof of %s leads to root %s, but block %s has root %s",
			ErrLie, tx.TxHash(), root, hdr.BlockHash(), hdr.MerkleRoot)
	}
	return nil
}

// compactToBig converts the compact "bits" form of a target to a number.
func compactToBig(compact uint32) *big.Int {
	mantissa := compact & 0x007fffff
	negative := compact&0x00800000 != 0
	exponent := uint(compact >> 24)
	var n *big.Int
	if exponent <= 3 {
		mantissa >>= 8 * (3 - exponent)
		n = big.NewInt(int64(mantissa))
	} else {
		n = big.NewInt(int64(mantissa))
		n.Lsh(n, 8*(exponent-3))
	}
	if negative {
		n.Neg(n)
	}
	return n
}

// CheckWork verifies that a header's hash meets the target its bits claim
// and that this target is no easier than params allows. It proves work was
// spent on the header, not that it is on the best chain. With no params,
// or on a network without retargeting (regtest), any work will do.
// Failures wrap ErrLie.
func CheckWork(hdr *wire.BlockHeader, params *chaincfg.Params) error {
	if params == nil || params.PoWNoRetargeting {
		return nil // regtest: any work will do
	}
	target := compactToBig(hdr.Bits)
	if target.Sign() <= 0 || target.Cmp(params.PowLimit) > 0 {
		return fmt.Errorf("%w: block %s claims target bits %08x, outside what %s allows",
			ErrLie, hdr.BlockHash(), hdr.Bits, params.Name)
	}
	hash := hdr.BlockHash()
	if hashToBig(&hash).Cmp(target) > 0 {
		return fmt.Errorf("%w: block %s does not meet its own proof-of-work target", ErrLie, hash)
	}
	return nil
}

// hashToBig reads a hash as the little-endian number proof of work compares.
func hashToBig(h *chainhash.Hash) *big.Int {
	var be [32]byte
	for i := range h {
		be[i] = h[31-i]
	}
	return new(big.Int).SetBytes(be[:])
}

// CheckLinks verifies that headers (by height) at consecutive heights
// link: each header's previous-block field is the hash of the header
// below it. Heights without a header below are not checked. Failures wrap
// ErrLie.
func CheckLinks(headers map[int32]*wire.BlockHeader) error {
	for height, hdr := range headers {
		below, ok := headers[height-1]
		if !ok {
			continue
		}
		if want := below.BlockHash(); hdr.PrevBlock != want {
			return fmt.Errorf("%w: header at height %d points to previous block %s, but the header at height %d hashes to %s",
				ErrLie, height, hdr.PrevBlock, height-1, want)
		}
	}
	return nil
}

// Touches reports whether tx pays to script or spends an output paying to
// script. Spent outputs are looked up in parents (by txid); an input whose
// parent is not there is reported in missing so the caller can fetch it and
// ask again.
func Touches(tx *wire.MsgTx, script []byte, parents map[chainhash.Hash]*wire.MsgTx) (ok bool, missing []chainhash.Hash) {
	for _, out := range tx.TxOut {
		if bytes.Equal(out.PkScript, script) {
			return true, nil
		}
	}
	if isCoinbase(tx) {
		return false, nil
	}
	for _, in := range tx.TxIn {
		p, found := parents[in.PreviousOutPoint.Hash]
		if !found {
			missing = append(missing, in.PreviousOutPoint.Hash)
			continue
		}
		idx := in.PreviousOutPoint.Index
		if int(idx) < len(p.TxOut) && bytes.Equal(p.TxOut[idx].PkScript, script) {
			return true, nil
		}
	}
	return false, missing
}

// isCoinbase reports whether tx is a coinbase transaction.
func isCoinbase(tx *wire.MsgTx) bool {
	return len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint.Index == wire.MaxPrevOutIndex &&
		tx.TxIn[0].PreviousOutPoint.Hash == chainhash.Hash{}
}

// CheckTouches checks a server's histories with Touches: listed[i] holds
// the ids of the transactions the server lists for scripts[i], and txs
// every one of them, already checked against its id. Spends need the
// spent output's transaction: those not in txs are fetched, all at once,
// with fetch, and the histories are checked again.
//
// It returns -1 and nil when every transaction touches the script that
// lists it. Otherwise it returns the index of a script whose history lists
// one that does not, with an error wrapping ErrLie, or -1 and the error of
// fetch.
func CheckTouches(scripts [][]byte, listed [][]chainhash.Hash, txs map[chainhash.Hash]*wire.MsgTx,
	fetch func(ids []chainhash.Hash) ([]*wire.MsgTx, error)) (int, error) {
	parents := txs
	check := func(fetchMissing bool) (map[chainhash.Hash]bool, int, error) {
		missing := make(map[chainhash.Hash]bool)
		for i, ids := range listed {
			for _, id := range ids {
				ok, miss := Touches(txs[id], scripts[i], parents)
				if ok {
					continue
				}
				if fetchMissing && len(miss) > 0 {
					for _, m := range miss {
						missing[m] = true
					}
					continue
				}
				return nil, i, fmt.Errorf("%w: history of script %x lists transaction %s, which neither pays to it nor spends from it",
					ErrLie, scripts[i], id)
			}
		}
		return missing, -1, nil
	}
	missing, bad, err := check(true)
	if err != nil || len(missing) == 0 {
		return bad, err
	}
	ids := make([]chainhash.Hash, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	more, err := fetch(ids)
	if err != nil {
		return -1, err
	}
	parents = make(map[chainhash.Hash]*wire.MsgTx, len(txs)+len(more))
	for id, tx := range txs {
		parents[id] = tx
	}
	for i, tx := range more {
		parents[ids[i]] = tx
	}
	_, bad, err = check(false)
	return bad, err
}
