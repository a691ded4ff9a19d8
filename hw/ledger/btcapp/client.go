package btcapp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
)

// ErrResponse reports a response the client cannot parse.
var ErrResponse = errors.New("btcapp: malformed response")

// maxRounds bounds the client-command exchanges of one command, so a
// misbehaving device cannot keep the client busy forever.
const maxRounds = 1 << 20

// Client runs Bitcoin app commands over an apdu.Exchanger (HID framing or
// Speculos TCP). It holds no state between commands; callers serialise
// commands per device.
type Client struct {
	ex apdu.Exchanger
}

// New returns a client over ex.
func New(ex apdu.Exchanger) *Client { return &Client{ex: ex} }

// Run sends cmd and answers client commands with in until the device gives
// a final status word; it returns the final data on 0x9000. in may be nil
// for commands that never interrupt; then an interruption is an error
// (apdu.ErrInterrupted).
func (c *Client) Run(ctx context.Context, cmd []byte, in *Interpreter) ([]byte, error) {
	for range maxRounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp, err := c.ex.Exchange(ctx, cmd)
		if err != nil {
			return nil, err
		}
		data, sw, err := apdu.SplitResponse(resp)
		if err != nil {
			return nil, err
		}
		switch {
		case sw == apdu.SWOK:
			return data, nil
		case sw != apdu.SWInterrupted || in == nil:
			return nil, apdu.NewStatusError(sw, data)
		}
		reply, err := in.Execute(data)
		if err != nil {
			return nil, err
		}
		if cmd, err = ContinueCommand(reply); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: more than %d client commands", ErrResponse, maxRounds)
}

// AppInfo is the answer to GET_APP_AND_VERSION.
type AppInfo struct {
	Name    string // "Bitcoin", "Bitcoin Test", or "BOLOS" on the dashboard
	Version string // e.g. "2.4.6"
	Flags   []byte
}

// AppAndVersion asks which app is open.
func (c *Client) AppAndVersion(ctx context.Context) (AppInfo, error) {
	data, err := c.Run(ctx, GetAppAndVersionCommand(), nil)
	if err != nil {
		return AppInfo{}, err
	}
	if len(data) < 1 || data[0] != 0x01 {
		return AppInfo{}, fmt.Errorf("%w: app and version format", ErrResponse)
	}
	var fields [3][]byte
	rest := data[1:]
	for i := range fields {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			if i == 2 { // some firmware omits the flags
				break
			}
			return AppInfo{}, fmt.Errorf("%w: app and version truncated", ErrResponse)
		}
		fields[i], rest = rest[1:1+int(rest[0])], rest[1+int(rest[0]):]
	}
	return AppInfo{Name: string(fields[0]), Version: string(fields[1]), Flags: fields[2]}, nil
}

// MasterFingerprint returns the fingerprint of the device's master key, as
// a big-endian number (f5acc2fd is 0xf5acc2fd).
func (c *Client) MasterFingerprint(ctx context.Context) (uint32, error) {
	data, err := c.Run(ctx, GetMasterFingerprintCommand(), nil)
	if err != nil {
		return 0, err
	}
	if len(data) != 4 {
		return 0, fmt.Errorf("%w: fingerprint of %d bytes", ErrResponse, len(data))
	}
	return binary.BigEndian.Uint32(data), nil
}

// ExtendedPubkey returns the base58 extended public key at path. With
// display set the device shows it and waits for the user.
func (c *Client) ExtendedPubkey(ctx context.Context, path []uint32, display bool) (string, error) {
	cmd, err := GetExtendedPubkeyCommand(path, display)
	if err != nil {
		return "", err
	}
	data, err := c.Run(ctx, cmd, nil)
	if err != nil {
		return "", err
	}
	return printable(data)
}

func printable(data []byte) (string, error) {
	if len(data) == 0 {
		return "", fmt.Errorf("%w: empty string", ErrResponse)
	}
	for _, ch := range data {
		if ch < 0x21 || ch > 0x7E {
			return "", fmt.Errorf("%w: non-printable byte in string", ErrResponse)
		}
	}
	return string(data), nil
}

// policyInterpreter makes a policy's data known: its serialization, its
// template and its key list.
func policyInterpreter(p policy.Policy) (*Interpreter, [32]byte, error) {
	ser, err := p.Serialize()
	if err != nil {
		return nil, [32]byte{}, err
	}
	in := NewInterpreter()
	in.AddPreimage(ser)
	in.AddPreimage([]byte(p.Template))
	in.AddList(p.KeyElements())
	id, _ := p.ID()
	return in, id, nil
}

func hmacOrZero(h *[32]byte) [32]byte {
	if h == nil {
		return [32]byte{}
	}
	return *h
}

// RegisterWallet asks the user to approve the policy and returns its wallet
// id and the HMAC to present with it later. The returned id is checked
// against the one computed locally.
func (c *Client) RegisterWallet(ctx context.Context, p policy.Policy) (id, hmac [32]byte, err error) {
	in, want, err := policyInterpreter(p)
	if err != nil {
		return id, hmac, err
	}
	ser, _ := p.Serialize()
	cmd, err := RegisterWalletCommand(ser)
	if err != nil {
		return id, hmac, err
	}
	data, err := c.Run(ctx, cmd, in)
	if err != nil {
		return id, hmac, err
	}
	if len(data) != 64 {
		return id, hmac, fmt.Errorf("%w: register answer of %d bytes", ErrResponse, len(data))
	}
	copy(id[:], data[:32])
	copy(hmac[:], data[32:])
	if id != want {
		return [32]byte{}, [32]byte{}, fmt.Errorf("%w: device returned another wallet id", ErrResponse)
	}
	return id, hmac, nil
}

// WalletAddress returns the address at (change, index) of the policy; hmac
// is nil for a default policy. With display set the device shows it for
// the user to compare. Callers should check the address against one derived
// locally.
func (c *Client) WalletAddress(ctx context.Context, p policy.Policy, hmac *[32]byte, change bool, index uint32, display bool) (string, error) {
	in, id, err := policyInterpreter(p)
	if err != nil {
		return "", err
	}
	data, err := c.Run(ctx, GetWalletAddressCommand(id, hmacOrZero(hmac), change, index, display), in)
	if err != nil {
		return "", err
	}
	return printable(data)
}

// PartialSignature is one signature YIELDed during SIGN_PSBT.
type PartialSignature struct {
	InputIndex int
	// PubKey is 33 bytes (legacy, segwit v0) or 32 x-only (taproot).
	PubKey []byte
	// TapLeafHash is set for a taproot script-path signature.
	TapLeafHash []byte
	// Signature is DER + sighash byte (ECDSA), or 64/65-byte Schnorr.
	Signature []byte
}

// MuSig2 YIELD tags, which this client does not interpret.
const (
	yieldMuSigPubNonce   = 0xFFFFFFFF
	yieldMuSigPartialSig = 0xFFFFFFFE
)

// DecodeSignatureYield parses a SIGN_PSBT YIELD payload (protocol version
// 1, so the public key is present):
//
//	| varint(input_index) | pubkey_len(1) | pubkey | signature |
//
// pubkey_len 64 means x-only key (32) || tapleaf hash (32). MuSig2 payloads
// (first varint 0xFFFFFFFF or 0xFFFFFFFE) return ok = false.
func DecodeSignatureYield(b []byte, nInputs int) (sig PartialSignature, ok bool, err error) {
	idx, n, err := varint.Read(b)
	if err != nil {
		return sig, false, fmt.Errorf("%w: yield: %v", ErrResponse, err)
	}
	if idx == yieldMuSigPubNonce || idx == yieldMuSigPartialSig {
		return sig, false, nil
	}
	if idx >= uint64(nInputs) {
		return sig, false, fmt.Errorf("%w: yield for input %d of %d", ErrResponse, idx, nInputs)
	}
	b = b[n:]
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return sig, false, fmt.Errorf("%w: yield truncated", ErrResponse)
	}
	pk := b[1 : 1+int(b[0])]
	sig = PartialSignature{InputIndex: int(idx), Signature: bytes.Clone(b[1+int(b[0]):])}
	switch len(pk) {
	case 32, 33:
		sig.PubKey = bytes.Clone(pk)
	case 64:
		sig.PubKey, sig.TapLeafHash = bytes.Clone(pk[:32]), bytes.Clone(pk[32:])
	default:
		return sig, false, fmt.Errorf("%w: yield public key of %d bytes", ErrResponse, len(pk))
	}
	if len(sig.Signature) == 0 {
		return sig, false, fmt.Errorf("%w: yield without signature", ErrResponse)
	}
	return sig, true, nil
}

// SignPSBT asks the device to sign the PSBT (serialized, version 0 or 2)
// for the wallet policy; hmac is nil for a default policy. It returns the
// signatures in the order the device sent them; adding them to the PSBT is
// the caller's job.
func (c *Client) SignPSBT(ctx context.Context, rawPSBT []byte, p policy.Policy, hmac *[32]byte) ([]PartialSignature, error) {
	maps, err := SplitPSBT(rawPSBT)
	if err != nil {
		return nil, err
	}
	in, id, err := policyInterpreter(p)
	if err != nil {
		return nil, err
	}
	in.AddMap(maps.Global)
	inCommits := make([][]byte, len(maps.Inputs))
	for i, m := range maps.Inputs {
		in.AddMap(m)
		inCommits[i] = m.Commitment()
	}
	outCommits := make([][]byte, len(maps.Outputs))
	for i, m := range maps.Outputs {
		in.AddMap(m)
		outCommits[i] = m.Commitment()
	}
	inRoot, outRoot := in.AddList(inCommits), in.AddList(outCommits)

	cmd, err := SignPSBTCommand(maps.Global.Commitment(), len(inCommits), inRoot,
		len(outCommits), outRoot, id, hmacOrZero(hmac))
	if err != nil {
		return nil, err
	}
	if _, err := c.Run(ctx, cmd, in); err != nil {
		return nil, err
	}
	var sigs []PartialSignature
	for _, y := range in.Yielded() {
		s, ok, err := DecodeSignatureYield(y, len(inCommits))
		if err != nil {
			return nil, err
		}
		if ok {
			sigs = append(sigs, s)
		}
	}
	return sigs, nil
}

// SignPacket serializes pkt and calls SignPSBT.
func (c *Client) SignPacket(ctx context.Context, pkt *psbt.Packet, p policy.Policy, hmac *[32]byte) ([]PartialSignature, error) {
	var buf bytes.Buffer
	if err := pkt.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("btcapp: serialize PSBT: %w", err)
	}
	return c.SignPSBT(ctx, buf.Bytes(), p, hmac)
}
