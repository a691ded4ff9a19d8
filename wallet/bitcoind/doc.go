// Package bitcoind is the chain.Source of a Bitcoin node the user runs
// (Bitcoin Core or btcd), reached over JSON-RPC.
//
// # Connecting
//
// Dial takes the node's RPC URL and either a user and password or
// Bitcoin Core's cookie file, detects the node software (btcd answers its
// "version" method, Bitcoin Core does not have it) and, given the
// network, checks the node's genesis block. Calls are plain JSON-RPC 1.0
// POSTs, batched where many are needed; every call honours its context.
//
// # What the node must offer
//
//   - BIP 158 basic block filters: Bitcoin Core 0.19 or later with
//     -blockfilterindex=1 (getblockfilter); btcd serves them unless
//     started with --nocfilters (getcfilter, getcfilterheader).
//   - For History with since above 1: Bitcoin Core 23 or later
//     (getblock verbosity 3) or a transaction index (-txindex, btcd's
//     --txindex), to learn which outputs older than since a block spends.
//   - For Transactions of confirmed transactions History has not found in
//     this process: the transaction index.
//
// # How History works
//
// Block hashes come in batches of 2,000 and filters with their filter
// headers in batches of 500, the next batch fetched while the current one
// is matched. Each filter must extend the filter header chain from the
// header of block since-1, so a node cannot swap a filter without
// breaking the chain (chain.ErrLie). The wallet's scripts are matched
// locally, on every CPU; only matching blocks are fetched (four at a
// time), and each must hash to the chain's hash at its height, link to
// the previous hash, and satisfy its merkle root and witness commitment.
// Transactions paying a script are found from the outputs; spends from
// the outpoints found earlier in the scan, in height order. The mempool
// comes from getrawmempool and getrawtransaction; transactions seen once
// are kept in memory, so a later History fetches only new ones. Nothing
// is written to disk; the wallet layer caches results. If the best chain
// changes during a scan, the scan starts over (up to three times).
//
// # Matching speed
//
// Per filter, the Golomb-Rice set is decoded once into a sorted slice
// indexed by value >> 19, and each script is hashed with the filter's
// SipHash key and looked up in its bucket: the exact membership test of
// BIP 158 (identical to gcs.Filter.Match, false positives included).
// A 2,000-script wallet against 10,000 filters of 5,000 elements takes
// about 0.9 s on two cores (BenchmarkMatch2000x10000), against about
// 0.6 ms per filter on one core with gcs.Filter.MatchAny.
package bitcoind
