// Package chaintest is the conformance suite every chain.Source passes:
// the Electrum, Esplora and node backends, and the in-memory fake.
//
// # Plugging a backend in
//
// A backend's test builds a Fixture (a chain from genesis to a tip, a
// mempool and the scripts to ask about), starts a server serving exactly
// that fixture, and hands the suite a Harness:
//
//	func TestConformance(t *testing.T) {
//		chaintest.Run(t, &harness{fixture: chaintest.BuildSynthetic(1)})
//	}
//
// Servers that only serve data (an Electrum or Esplora fake) can use
// BuildSynthetic, a deterministic chain of about 120 blocks with every
// script type and wallet role, and need no node. A node backend builds its
// fixture from a real regtest chain, block by block.
//
// Optional interfaces widen the suite: a Liar harness makes its server
// misbehave (Lie), a Broadcaster harness gives a valid transaction to
// broadcast, a FeeEstimator harness states whether fee estimates exist.
//
// # What Run checks
//
//   - Tip is the fixture's last block, height and hash.
//   - History equals Truth, the brute-force history computed from the
//     fixture: for each script every transaction with an output paying it
//     or an input spending an output that paid it; order-insensitive,
//     confirmed heights exact, mempool entries at any height <= 0, a block
//     hash when given the right one, no duplicates. It is checked for all
//     scripts at once, one at a time, in batches of seven, with a script
//     asked twice, with since at several heights (spends at or after
//     since of outputs funded before it included), with no scripts, with
//     a progress channel (reports never go backwards), and with a
//     cancelled context (context.Canceled).
//   - Transactions returns exactly the fixture's bytes (witness included)
//     for every transaction in the histories and the mempool, all at once
//     and a few at a time in any order; no ids gives none; an unknown id is
//     an error.
//   - FeeRate gives a positive finite rate or chain.ErrNoFeeEstimate for
//     targets 1, 2, 6 and 144.
//   - Eight goroutines call History, Transactions and Tip at once (run the
//     suite with -race).
//   - For a Liar: transaction bytes not hashing to the txid give
//     chain.ErrLie from Transactions; a history contradicting the chain
//     gives chain.ErrLie from History; unparsable replies give
//     chain.ErrMalformed from Tip and History; each of these errors is a
//     *chain.ServerError naming the server. Against a server that never
//     answers, Tip, History, Transactions and FeeRate end with
//     context.DeadlineExceeded within 2 s of the deadline. A server that
//     closes connections gives a prompt error naming the server, and a
//     Source made once it behaves again works.
//   - Broadcast of a transaction spending a missing output fails with
//     chain.ErrRejected; for a Broadcaster, a valid transaction is
//     accepted and its txid returned. Broadcasts run last, since they
//     change the server's mempool.
//
// The suite never modifies the fixture. Memory serves a fixture from
// memory and is the fake the wallet layer's tests use.
package chaintest
