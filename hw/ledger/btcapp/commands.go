// Package btcapp is the client side of the Ledger Bitcoin app's protocol
// version 2 (app 2.1.0 and later): command builders, the client-command
// interpreter that answers the device's requests for data, and a Client
// that runs whole commands over any apdu.Exchanger.
//
// All Bitcoin commands use CLA 0xE1, P1 0 and P2 1 (protocol version 1 of
// the app's client-command protocol, under which signature YIELDs carry the
// public key). Path steps are u32 big-endian, bit 31 marking a hardened step.
package btcapp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// Instruction classes and codes.
const (
	CLABitcoin   = 0xE1
	CLAFramework = 0xF8
	CLADefault   = 0xB0

	INSGetExtendedPubkey    = 0x00
	INSRegisterWallet       = 0x02
	INSGetWalletAddress     = 0x03
	INSSignPSBT             = 0x04
	INSGetMasterFingerprint = 0x05
	INSContinue             = 0x01 // with CLAFramework
	INSGetAppAndVersion     = 0x01 // with CLADefault

	// ProtocolVersion is sent as P2 of every Bitcoin command.
	ProtocolVersion = 1

	// MaxPathSteps is the longest path the app documents for its commands.
	MaxPathSteps = 8
)

// ErrArgument reports a command argument the device would refuse anyway.
var ErrArgument = errors.New("btcapp: invalid argument")

func build(cla, ins, p2 byte, data []byte) ([]byte, error) {
	return apdu.Command{CLA: cla, INS: ins, P1: 0, P2: p2, Data: data}.Encode()
}

func appendPath(b []byte, path []uint32) ([]byte, error) {
	if len(path) > MaxPathSteps {
		return nil, fmt.Errorf("%w: path of %d steps, at most %d", ErrArgument, len(path), MaxPathSteps)
	}
	b = append(b, byte(len(path)))
	for _, s := range path {
		b = binary.BigEndian.AppendUint32(b, s)
	}
	return b, nil
}

func flag(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// GetExtendedPubkeyCommand builds GET_EXTENDED_PUBKEY.
//
//	| E1 00 00 01 Lc | display(1) | n(1) | path: n × u32 BE |
//
// Response: the base58 xpub/tpub in ASCII. A path outside the app's
// standard set answers 0x6A82 unless display is set.
func GetExtendedPubkeyCommand(path []uint32, display bool) ([]byte, error) {
	data, err := appendPath([]byte{flag(display)}, path)
	if err != nil {
		return nil, err
	}
	return build(CLABitcoin, INSGetExtendedPubkey, ProtocolVersion, data)
}

// GetMasterFingerprintCommand builds GET_MASTER_FINGERPRINT.
//
//	| E1 05 00 01 00 |
//
// Response: the 4-byte master key fingerprint.
func GetMasterFingerprintCommand() []byte {
	b, _ := build(CLABitcoin, INSGetMasterFingerprint, ProtocolVersion, nil)
	return b
}

// GetWalletAddressCommand builds GET_WALLET_ADDRESS.
//
//	| E1 03 00 01 Lc | display(1) | wallet_id(32) | hmac(32) | change(1) | index(u32 BE) |
//
// hmac is all zeros for a default policy. Response: the address in ASCII.
func GetWalletAddressCommand(walletID, hmac [32]byte, change bool, index uint32, display bool) []byte {
	data := make([]byte, 0, 70)
	data = append(data, flag(display))
	data = append(data, walletID[:]...)
	data = append(data, hmac[:]...)
	data = append(data, flag(change))
	data = binary.BigEndian.AppendUint32(data, index)
	b, _ := build(CLABitcoin, INSGetWalletAddress, ProtocolVersion, data)
	return b
}

// RegisterWalletCommand builds REGISTER_WALLET.
//
//	| E1 02 00 01 Lc | varint(len(s)) | s: policy serialization |
//
// Response: wallet_id(32) || hmac(32).
func RegisterWalletCommand(serialization []byte) ([]byte, error) {
	return build(CLABitcoin, INSRegisterWallet, ProtocolVersion,
		append(varint.Append(nil, uint64(len(serialization))), serialization...))
}

// SignPSBTCommand builds SIGN_PSBT.
//
//	| E1 04 00 01 Lc | global map commitment (65-73) |
//	| varint(n_inputs)  | root of input map commitments (32)  |
//	| varint(n_outputs) | root of output map commitments (32) |
//	| wallet_id(32) | hmac(32) |
//
// The leaves of the input and output trees are the map commitments
// themselves (each stored as LeafHash(commitment)). The response is empty;
// signatures arrive as YIELD client commands.
func SignPSBTCommand(globalCommitment []byte, nInputs int, inputsRoot merkle.Hash,
	nOutputs int, outputsRoot merkle.Hash, walletID, hmac [32]byte) ([]byte, error) {
	data := append([]byte(nil), globalCommitment...)
	data = varint.Append(data, uint64(nInputs))
	data = append(data, inputsRoot[:]...)
	data = varint.Append(data, uint64(nOutputs))
	data = append(data, outputsRoot[:]...)
	data = append(data, walletID[:]...)
	data = append(data, hmac[:]...)
	return build(CLABitcoin, INSSignPSBT, ProtocolVersion, data)
}

// GetAppAndVersionCommand builds GET_APP_AND_VERSION, answered by the
// device's operating system for whichever app is open (or the dashboard).
//
//	| B0 01 00 00 00 |
//
// Response: format(1) = 0x01 | name_len(1) name | version_len(1) version |
// flags_len(1) flags.
func GetAppAndVersionCommand() []byte {
	b, _ := build(CLADefault, INSGetAppAndVersion, 0, nil)
	return b
}

// ContinueCommand builds CONTINUE, the client's reply to a client command.
//
//	| F8 01 00 01 Lc | reply |
func ContinueCommand(reply []byte) ([]byte, error) {
	return build(CLAFramework, INSContinue, ProtocolVersion, reply)
}
