// Package chain defines what the watch-only wallet needs from a source of
// blockchain data, and nothing more: the history of a set of output
// scripts, the transactions in it, the chain tip, fee estimates and
// broadcast. Each backend (Electrum server, Esplora HTTP API, Bitcoin node
// RPC with BIP158 filters) lives in its own package and implements Source;
// chaintest holds the conformance suite every backend must pass.
//
// A Source never sees keys or descriptors, only scripts, and must check
// what servers send: a transaction whose hash is not the txid asked for, a
// history entry that does not touch the script, or malformed data is an
// error that names the server and what was wrong, never a silent result.
package chain

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// BlockRef names a block.
type BlockRef struct {
	Height int32
	Hash   chainhash.Hash
}

// TxRef is one transaction that touches a script: confirmed at Height, or
// unconfirmed (in the mempool) when Height <= 0.
type TxRef struct {
	TxID   chainhash.Hash
	Height int32
	// Block is the confirming block's hash, when the source knows it.
	Block chainhash.Hash
}

// Confirmed reports whether the transaction is in a block.
func (r TxRef) Confirmed() bool { return r.Height > 0 }

// Progress reports how far a long operation (a filter scan) has come.
type Progress struct {
	Done, Total int64
	What        string
}

// Source is a backend's connection to the chain. Implementations are safe
// for concurrent use and honour ctx: cancelling it (or its deadline) ends
// every call promptly with ctx's error.
type Source interface {
	// Tip returns the best block.
	Tip(ctx context.Context) (BlockRef, error)

	// History returns, for each script (in the same order), every
	// transaction that pays to it or spends from it, confirmed at or after
	// height since (0: from genesis) or unconfirmed. Sources that scan
	// blocks (compact filters) report progress on the optional channel.
	History(ctx context.Context, scripts [][]byte, since int32, progress chan<- Progress) ([][]TxRef, error)

	// Transactions returns the full transactions for the ids, in order,
	// after checking that each hashes to its id.
	Transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error)

	// FeeRate estimates the fee rate, in sat/vB, to confirm within target
	// blocks.
	FeeRate(ctx context.Context, target int) (float64, error)

	// Broadcast submits a signed transaction and returns its txid.
	Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error)

	// Close releases connections.
	Close() error
}

// Errors common to every source; test with errors.Is.
var (
	// ErrLie marks data that contradicts itself or what was asked: a
	// transaction that does not hash to its txid, a history entry for a
	// transaction that does not touch the script, a block header that does
	// not link.
	ErrLie = errors.New("server sent inconsistent data")
	// ErrMalformed marks a reply that does not parse.
	ErrMalformed = errors.New("malformed reply")
	// ErrRejected marks a transaction the network refused to relay.
	ErrRejected = errors.New("transaction rejected")
)

// ServerError wraps an error with the server it came from and what was
// being done, e.g. "electrum 127.0.0.1:50001: blockchain.scripthash.get_history: ...".
type ServerError struct {
	Server string
	Op     string
	Err    error
}

func (e *ServerError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Server, e.Op, e.Err) }
func (e *ServerError) Unwrap() error { return e.Err }

// CheckTx verifies that tx hashes to id, the check every source applies
// to the transactions it returns.
func CheckTx(id chainhash.Hash, tx *wire.MsgTx) error {
	if got := tx.TxHash(); got != id {
		return fmt.Errorf("%w: transaction %s hashes to %s", ErrLie, id, got)
	}
	return nil
}
