// Package wallet is hardfolio's watch-only Bitcoin wallet: it derives the
// scripts of an output descriptor, follows their history through a
// chain.Source, keeps the result in a disposable cache, and builds PSBTs for a
// hardware wallet to sign.
//
// # Watch-only by construction
//
// Nothing in this package holds, derives or asks for a private key. A Wallet
// is a descriptor made of extended public keys; signing is a request handed
// to a hardware wallet, which receives a PSBT carrying everything it needs to
// recognise its own inputs and change (previous transactions, BIP 32
// derivations from the descriptor's key origin).
//
// # Sync
//
// Wallet.Sync derives the receive and change scripts in batches of the gap
// limit, asks the source for their history, and keeps deriving until each
// chain ends in GapLimit unused scripts. It then fetches the transactions,
// and the parents of the wallet's own spends so that their fees are known,
// and computes UTXOs, balances, per-transaction amounts and address usage.
// A later Sync starts from the previous State: known scripts are asked only
// for what happened since the last tip minus ReorgMargin blocks, and the
// answer replaces that part of the history. A tip that moved backwards, or a
// different block at the same height, means a reorganisation: the State is
// dropped and the wallet rescanned from its birthday. Reorganisations deeper
// than ReorgMargin that happen while the chain also grows past the old tip
// cannot be seen without block headers, which chain.Source does not offer;
// Sync with a nil State forces a full rescan.
//
// # PSBT roles
//
// PSBT code is split by BIP 174 role, one file each: psbt_create.go (coin
// selection and the unsigned transaction), psbt_update.go (previous outputs,
// derivations, redeem scripts), psbt_combine.go, psbt_finalize.go and
// psbt_extract.go; the signer is the hardware wallet. psbt_io.go reads and
// writes PSBTs as base64 text or binary files.
package wallet
