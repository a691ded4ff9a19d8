// Package ledger is a software Ledger device running the Bitcoin app
// (protocol v2), for tests and for "hardfolio demo".
//
// # WARNING: THIS PACKAGE HOLDS PRIVATE KEYS
//
// A simulator is the one place in hardfolio that holds private keys. The
// device derives its whole key tree from a BIP39 mnemonic kept in memory, in
// the clear, with none of the protections of a secure element. Never load a
// mnemonic that guards real funds, and never send real funds to an address
// or xpub it gives out. New returns a warning string for this reason: the
// caller must show it to the user (see Warning).
//
// # What it simulates
//
// Device.Exchange takes one command APDU and returns data||SW, as a Ledger
// does over USB. It answers:
//
//	CLA INS  command                      handled by
//	B0  01   GET_APP_AND_VERSION          the OS (any app, and the dashboard)
//	B0  A7   QUIT_APP (back to dashboard) the OS
//	E0  D8   OPEN_APP (dashboard only)    the dashboard
//	E1  00   GET_EXTENDED_PUBKEY          the Bitcoin app
//	E1  02   REGISTER_WALLET              the Bitcoin app (multisig policies)
//	E1  03   GET_WALLET_ADDRESS           the Bitcoin app (default policies,
//	                                      registered multisig policies)
//	E1  04   SIGN_PSBT                    the Bitcoin app (default policies:
//	                                      pkh, sh(wpkh), wpkh, tr key path)
//	E1  05   GET_MASTER_FINGERPRINT       the Bitcoin app
//	F8  01   CONTINUE (client commands)   the Bitcoin app
//
// Every other INS of CLA E1 gets 0x6D00, every other CLA 0x6E00. Checks and
// status words follow the app's dispatcher and handlers (app-bitcoin-new
// 2.4.x, src/main.c, src/boilerplate/dispatcher.c, src/handler/) and the
// SDK's default APDU handling (B0 01, B0 A7).
//
// Faults (Faults, Device.SetFaults) let tests drive the error paths a real
// device takes: the user refusing, a locked device, the dashboard instead of
// the app, an unplugged cable.
//
// # Speculos interface
//
// Device.Serve speaks the APDU TCP protocol of Ledger's Speculos emulator
// (speculos/mcu/apdu.py), so any client that can talk to Speculos (HWI with
// "tcp:127.0.0.1:9999", ledger_bitcoin, ledgerjs' SpeculosTransport) can
// talk to this simulator:
//
//	request:  u32 BE len || APDU
//	response: u32 BE N || data (N bytes) || SW (2 bytes)   N excludes the SW
//
// Speculos' own default mnemonic is SpeculosMnemonic; with it the device has
// master fingerprint f5acc2fd, like Speculos, so published test vectors of
// the Bitcoin app apply unchanged.
package ledger
