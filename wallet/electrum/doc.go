// Package electrum is a chain.Source that talks to the user's own Electrum
// server (ElectrumX, Fulcrum, electrs) with the Electrum protocol, version
// 1.4: JSON-RPC 2.0, one message a line, over TCP or TLS, optionally
// through a SOCKS5 proxy such as Tor.
//
// # Connecting
//
//	c, err := electrum.Dial(ctx, electrum.Config{
//		Server: "ssl://electrum.local:50002",
//		Pins:   pins,                    // where certificate pins live
//		Params: &chaincfg.MainNetParams, // refuse a server on another network
//	})
//
// The server is given as tcp://host:port, ssl://host:port or Electrum's
// host:port:t / host:port:s. TLS certificates are pinned on first use: the
// SHA-256 fingerprint of the first certificate seen is stored through
// PinStore, and a later connection presenting another is refused with a
// *CertChangedError showing both fingerprints. Certificate authorities are
// not consulted; personal servers use self-signed certificates. A .onion
// server needs Config.Proxy (ErrOnionNeedsProxy otherwise); through a
// proxy, host names are resolved by the proxy, never locally.
//
// # What is checked
//
// The server is not trusted. History fetches every transaction it lists
// and checks that it hashes to its txid and that it pays to the script or
// spends an output that paid to it; for each confirmed one it fetches the
// merkle branch (blockchain.transaction.get_merkle) and the block header
// at the height the history gives (blockchain.block.header), and checks
// that the branch leads from the txid to the header's merkle root. Headers
// fetched at consecutive heights must link; with Config.Params set, the
// server's genesis block must be the network's and every header must carry
// valid proof of work at no less than the network's minimum difficulty
// (regtest excepted). Transactions checks every transaction against its
// id. A broadcast's reply must be the transaction's id. What fails a check
// is an error wrapping chain.ErrLie; what does not parse wraps
// chain.ErrMalformed; both come as *chain.ServerError naming the server
// and the method.
//
// What this does not prove: that a header is on the best chain (the
// client keeps no header chain), nor that a server lists every
// transaction of a script (omissions cannot be detected from one server).
//
// # Round trips
//
// Requests are sent as JSON-RPC batches of Config.BatchSize (100): a sync
// of a wallet with 1,000 used scripts takes 10 round trips for the
// histories, then one per 100 transactions, merkle branches and headers
// together (the test suite measures 38 round trips in all for 1,000
// scripts with 1,359 transactions in 55 blocks). Up to four batches are in
// flight at once. Verified transactions are kept in memory (up to 50,000),
// so Transactions after History costs nothing, and so are proven
// inclusions: a second sync fetches the histories and the headers of the
// blocks involved (to see that each block is still at its height) but no
// transaction or merkle branch again, 11 round trips for the same wallet.
//
// # Connection
//
// One connection is shared by all concurrent callers, multiplexed by
// request id. Every call is bounded by its context and by Config.Timeout.
// A call that finds the connection closed reconnects once and retries; an
// idle connection is kept open with server.ping. Tip and Subscribe
// subscribe to new blocks and script changes, reported on Notifications;
// subscriptions are renewed after a reconnection, which is itself
// reported.
package electrum
