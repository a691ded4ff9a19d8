package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// This file decodes what servers send as hex, with the bounds and checks
// every backend applies.

// ScriptHash returns the script hash Electrum servers and Esplora APIs
// index an output script by: the SHA-256 of the script bytes,
// byte-reversed, in hex. The genesis block's P2PKH script
// 76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac has the script hash
// 8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161.
func ScriptHash(script []byte) string {
	sum := sha256.Sum256(script)
	for i, j := 0, len(sum)-1; i < j; i, j = i+1, j-1 {
		sum[i], sum[j] = sum[j], sum[i]
	}
	return hex.EncodeToString(sum[:])
}

// maxHexLen bounds any hex string accepted from a server (a transaction
// of 4 MB weight is at most 4 MB, so 8 MB of hex).
const maxHexLen = 8 << 20

// decodeHex decodes a hex string from a server.
func decodeHex(s string) ([]byte, error) {
	if len(s) > maxHexLen {
		return nil, fmt.Errorf("hex string of %d characters is too long", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad hex: %v", err)
	}
	return b, nil
}

// ParseTxHex decodes a raw transaction (with or without witness) from
// hex, refusing trailing bytes and hex longer than any transaction.
func ParseTxHex(s string) (*wire.MsgTx, error) {
	raw, err := decodeHex(s)
	if err != nil {
		return nil, err
	}
	tx := new(wire.MsgTx)
	r := bytes.NewReader(raw)
	if err := tx.Deserialize(r); err != nil {
		return nil, fmt.Errorf("bad transaction: %v", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("bad transaction: %d bytes after its end", r.Len())
	}
	return tx, nil
}

// ParseHashHex decodes a transaction or block hash in display (byte-reversed)
// hex, as servers write txids and block hashes: exactly 64 hex digits.
func ParseHashHex(s string) (chainhash.Hash, error) {
	if len(s) != 2*chainhash.HashSize {
		return chainhash.Hash{}, fmt.Errorf("hash %q is not %d hex digits", Truncate(s, 80), 2*chainhash.HashSize)
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("bad hash %q: %v", Truncate(s, 80), err)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return chainhash.Hash{}, fmt.Errorf("bad hash %q: %v", Truncate(s, 80), err)
	}
	return *h, nil
}

// maxBranch bounds a merkle branch: a block cannot hold 2^32 transactions.
const maxBranch = 32

// ParseBranchHex decodes a merkle branch, a list of hashes in display hex
// as Electrum's blockchain.transaction.get_merkle and Esplora's
// /tx/:txid/merkle-proof give it, refusing branches deeper than any block.
func ParseBranchHex(hashes []string) ([]chainhash.Hash, error) {
	if len(hashes) > maxBranch {
		return nil, fmt.Errorf("merkle branch of %d hashes", len(hashes))
	}
	branch := make([]chainhash.Hash, len(hashes))
	for i, s := range hashes {
		h, err := ParseHashHex(s)
		if err != nil {
			return nil, err
		}
		branch[i] = h
	}
	return branch, nil
}

// Truncate shortens s to n bytes, marking the cut with "...", for quoting
// what a server sent in an error message.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
