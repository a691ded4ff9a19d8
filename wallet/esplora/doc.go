// Package esplora is a chain.Source that reads the Esplora HTTP API
// (Blockstream's esplora and electrs, mempool.space), self-hosted or
// public, directly or through a SOCKS5 proxy such as Tor.
//
// # Connecting
//
//	c, err := esplora.New(esplora.Config{
//		BaseURL: "http://abc...xyz.onion/api",
//		Proxy:   &esplora.Proxy{Addr: "127.0.0.1:9050"},
//		Params:  &chaincfg.MainNetParams, // refuse an API on another network
//	})
//
// A .onion API needs Config.Proxy (ErrOnionNeedsProxy otherwise); through a
// proxy, host names are resolved by the proxy, never locally. Proxy
// settings from the environment are ignored and redirects are not
// followed, so requests go exactly where the configuration says.
//
// # Endpoints
//
//	GET  /blocks/tip/hash, /blocks/tip/height, /block-height/:height   Tip
//	GET  /scripthash/:hash/txs, /scripthash/:hash/txs/chain/:last_seen  History, 25 confirmed a page
//	GET  /tx/:txid/hex                                                  Transactions, History
//	GET  /tx/:txid/merkle-proof, /block/:hash/header                    History (inclusion proofs)
//	GET  /fee-estimates                                                 FeeRate
//	POST /tx                                                            Broadcast
//
// # What is checked
//
// The API is not trusted. History fetches every transaction it lists as
// raw hex and checks that it hashes to its txid and that it pays to the
// script or spends an output that paid to it. Each confirmed one is proven
// in the block the API names: the block's header must hash to the stated
// block hash, and the merkle branch from /tx/:txid/merkle-proof must lead
// from the txid to that header's merkle root, at the stated height.
// Headers at consecutive heights must link; with Config.Params set, the
// API's genesis block must be the network's and headers must carry valid
// proof of work (regtest excepted). Tip checks that the tip hash is the
// block at the tip height and that its header hashes right. Broadcast
// checks that the API answers with the transaction's id. Failed checks
// wrap chain.ErrLie; replies that do not parse wrap chain.ErrMalformed and
// name the URL; every error is a *chain.ServerError naming the API and the
// request ("GET /tx/.../hex"). An HTTP 404 matches ErrNotFound, a refused
// broadcast (HTTP 400) chain.ErrRejected with the node's reason.
//
// What this does not prove: that a block is on the best chain, nor that
// the API lists every transaction of a script. The API lists at most 50
// unconfirmed transactions per script; a script with that many is an
// error rather than a silently incomplete history.
//
// # Requests
//
// HTTP has no batches, so the client bounds the requests in flight instead
// (Config.Concurrency, 8 by default, across all calls of one Client).
// A first sync of 1,000 used scripts with 1,359 transactions in 55 blocks
// makes 3,771 requests in the test suite (1,000 history pages, 1,359
// transactions, 1,356 merkle proofs, 55 headers); a second sync makes only
// the 1,000 history requests, because checked transactions, headers (by
// hash) and inclusion proofs (by txid and block hash) are remembered.
package esplora
