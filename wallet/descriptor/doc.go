// Package descriptor parses, produces and derives the output script
// descriptors of watch-only single-sig wallets (BIP 380, 381, 382, 386 and
// the multipath form of BIP 389).
//
// # What is accepted
//
// Four script expressions, each holding one key expression:
//
//	pkh(KEY)        P2PKH        (BIP 44 accounts)
//	sh(wpkh(KEY))   P2SH-P2WPKH  (BIP 49 accounts)
//	wpkh(KEY)       P2WPKH       (BIP 84 accounts)
//	tr(KEY)         P2TR, key path only (BIP 86 accounts)
//
// KEY is an optional key origin "[fingerprint/path]" followed by either a
// hex public key (66 characters, compressed; inside tr() also a 64-character
// x-only key) or an extended public key with unhardened derivation steps,
// at most one multipath step "/<a;b;...>" and an optional final "/*".
// Extended keys may be written xpub/tpub or in their SLIP-132 forms
// ypub/zpub/upub/vpub; the SLIP-132 forms are converted to the standard
// version bytes and must match the script expression (ypub and upub only in
// sh(wpkh()), zpub and vpub only in wpkh()).
//
// # What is refused, and why
//
//   - Private keys of any kind (xprv and its SLIP-132 relatives, WIF): this
//     package is watch-only by construction. It never holds private key
//     material, and its error messages never repeat the refused text.
//   - Hardened steps after an extended public key ("/0h", "/*h"): they need
//     the private key. Derive the xpub at the hardened path on the hardware
//     wallet and record that path in the key origin instead.
//   - Uncompressed public keys, tr() with a script tree, and every other
//     script expression (pk, wsh, multi, sortedmulti, combo, raw, addr, ...):
//     not supported.
//
// # Canonical form
//
// String prints hardened steps with "h", as BIP 380 writes them and as
// Bitcoin Core prints the descriptors it creates and lists since it switched
// from "'" to "h" in 2023 (the apostrophe is awkward to quote in shells and
// JSON); the apostrophe form is accepted on input, "H" is not (BIP 380 lists
// it as invalid). Other canonical choices: the
// fingerprint and hex keys in lower case, extended keys with the standard
// xpub/tpub version bytes of the wallet's network, derivation numbers without
// leading zeros, and the BIP 380 checksum always appended. Because the
// checksum covers the exact text, a descriptor written with "'" gets a new
// checksum when printed; both texts describe the same scripts.
//
// # Receive and change
//
// A descriptor with the multipath step "/<0;1>/*" holds both chains of an
// account: BIP 389 says the first path gives receiving addresses and the
// second gives change. Derive and its batch forms take a change flag that
// picks one; a descriptor without a multipath step has a receive chain only.
//
// # Derivation speed
//
// The node at the end of the fixed steps of each chain (usually the .../0 or
// .../1 node of an account) is derived once, on first use, and kept as a
// curve point with its chain code. Each address then costs one HMAC-SHA512,
// one scalar base multiplication with precomputed tables, one point addition,
// one field inversion and the hashes of its script type, with no public key
// decompression. The first derivation in a process loads the scalar
// multiplication tables (about 12 ms); call Warm off the UI thread to pay
// that early.
package descriptor
