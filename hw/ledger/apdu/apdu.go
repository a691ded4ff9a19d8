// Package apdu encodes the ISO 7816 short APDUs that Ledger apps speak, splits
// responses into data and status word, and maps status words to typed errors.
// It is the only place in hardfolio where a Ledger status word becomes an
// error.
//
// # Command (short APDU)
//
//	| size | field                                 |
//	|------|---------------------------------------|
//	| 1    | CLA, instruction class                |
//	| 1    | INS, instruction                      |
//	| 1    | P1                                    |
//	| 1    | P2                                    |
//	| 1    | Lc, length of data (0-255)            |
//	| Lc   | data                                  |
//
// Lc is always present, also for empty data (Ledger apps expect 5 bytes).
//
// # Response
//
//	| size | field                                 |
//	|------|---------------------------------------|
//	| N    | data                                  |
//	| 2    | SW, status word, big-endian           |
package apdu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxData is the most data a short APDU carries.
const MaxData = 255

// HeaderSize is the size of CLA INS P1 P2 Lc.
const HeaderSize = 5

// ErrTooLong reports command data over MaxData bytes.
var ErrTooLong = errors.New("apdu: command data longer than 255 bytes")

// ErrMalformed reports a command or response that cannot be parsed.
var ErrMalformed = errors.New("apdu: malformed")

// Exchanger sends one command APDU and returns the raw response, data
// followed by the 2-byte status word. Framing and transport layers implement
// it; protocol code depends only on it. Implementations need not be safe for
// concurrent use: callers serialise exchanges per device.
type Exchanger interface {
	Exchange(ctx context.Context, command []byte) ([]byte, error)
}

// Command is a decoded command APDU.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
}

// Encode returns CLA INS P1 P2 Lc data.
func (c Command) Encode() ([]byte, error) {
	if len(c.Data) > MaxData {
		return nil, ErrTooLong
	}
	b := make([]byte, 0, HeaderSize+len(c.Data))
	b = append(b, c.CLA, c.INS, c.P1, c.P2, byte(len(c.Data)))
	return append(b, c.Data...), nil
}

// DecodeCommand parses a short command APDU. Lc must match the data length
// exactly; a 4-byte APDU without Lc is read as empty data.
func DecodeCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: command of %d bytes", ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	if len(b) == 4 {
		return c, nil
	}
	if int(b[4]) != len(b)-HeaderSize {
		return Command{}, fmt.Errorf("%w: Lc %d but %d data bytes", ErrMalformed, b[4], len(b)-HeaderSize)
	}
	c.Data = b[HeaderSize:]
	return c, nil
}

// Status words named in this package.
const (
	SWOK            uint16 = 0x9000
	SWInterrupted   uint16 = 0xE000 // the app asks the client for data (client command)
	SWDeny          uint16 = 0x6985
	SWSecurity      uint16 = 0x6982
	SWIncorrectData uint16 = 0x6A80
	SWNotSupported  uint16 = 0x6A82
	SWWrongP1P2     uint16 = 0x6A86
	SWWrongDataLen  uint16 = 0x6A87
	SWInsNotSupp    uint16 = 0x6D00
	SWClaNotSupp    uint16 = 0x6E00
	SWLocked        uint16 = 0x5515
	SWRefused       uint16 = 0x5501
	SWHalted        uint16 = 0x6FAA
	SWNotInstalled  uint16 = 0x6807
	SWNotInstalled2 uint16 = 0x6984
	SWBadLength     uint16 = 0xB000
	SWBadState      uint16 = 0xB007
	SWBadSignature  uint16 = 0xB008
)

// DeviceError is a class of failure reported by a Ledger device. The
// sentinels below are the only values; compare with errors.Is.
type DeviceError struct {
	msg  string
	hint string
}

func (e *DeviceError) Error() string { return e.msg }

// Hint is a sentence for the user on what to do next.
func (e *DeviceError) Hint() string { return e.hint }

// Device error classes.
var (
	ErrUserRejected = &DeviceError{"rejected on the device",
		"The request was declined on the device. Try again and approve it if it is what you expect."}
	ErrSecurity = &DeviceError{"security status not satisfied",
		"Unlock the device with its PIN, open the Bitcoin app and try again."}
	ErrWrongApp = &DeviceError{"wrong app open on the device",
		"Open the Bitcoin app (version 2.1.0 or later) on the device and try again."}
	ErrLocked = &DeviceError{"device is locked",
		"Unlock the device with its PIN and try again."}
	ErrHalted = &DeviceError{"device halted or asleep",
		"Wake the device, unlock it, reopen the Bitcoin app and try again."}
	ErrBadData = &DeviceError{"device refused the request data",
		"The device could not accept this request (unsupported path, policy or transaction). Check the wallet and the app version."}
	ErrNotInstalled = &DeviceError{"app not installed",
		"Install the Bitcoin app on the device with Ledger Live."}
	ErrAppState = &DeviceError{"app internal error",
		"The app reported an internal error. Quit and reopen the Bitcoin app, then try again."}
	ErrInterrupted = &DeviceError{"unhandled client command",
		"The app asked for data the client did not provide. This is a bug in hardfolio; please report it."}
	ErrBadRegistration = &DeviceError{"wallet registration not valid on this device",
		"The device does not recognise this multisig wallet's registration (another device's, or the wallet changed). Register it on this device again: hardfolio hw register."}
	ErrUnknownStatus = &DeviceError{"unexpected status word",
		"The device answered with an unknown status. Update the Bitcoin app and try again."}
)

// statusClasses is the one table from status word to error class.
var statusClasses = map[uint16]*DeviceError{
	SWDeny:          ErrUserRejected,
	SWRefused:       ErrUserRejected,
	SWSecurity:      ErrSecurity,
	SWClaNotSupp:    ErrWrongApp,
	SWInsNotSupp:    ErrWrongApp,
	0x6E01:          ErrWrongApp, // CLA variant listed by Ledger's own client libraries
	0x6D02:          ErrWrongApp, // unknown APDU variant, same source
	SWLocked:        ErrLocked,
	SWHalted:        ErrHalted,
	SWIncorrectData: ErrBadData,
	SWNotSupported:  ErrBadData,
	SWWrongP1P2:     ErrBadData,
	SWWrongDataLen:  ErrBadData,
	SWNotInstalled:  ErrNotInstalled,
	SWNotInstalled2: ErrNotInstalled,
	SWBadLength:     ErrAppState,
	SWBadState:      ErrAppState,
	SWBadSignature:  ErrBadRegistration,
	SWInterrupted:   ErrInterrupted,
}

// StatusError is a response with a status word other than 0x9000. It
// unwraps to one of the DeviceError sentinels.
type StatusError struct {
	SW     uint16
	Detail []byte // data sent with the status word, e.g. a 2-byte app error code
	class  *DeviceError
}

// NewStatusError classifies a status word.
func NewStatusError(sw uint16, detail []byte) *StatusError {
	c, ok := statusClasses[sw]
	if !ok {
		c = ErrUnknownStatus
	}
	return &StatusError{SW: sw, Detail: detail, class: c}
}

func (e *StatusError) Error() string {
	if len(e.Detail) > 0 {
		return fmt.Sprintf("ledger: %s (status 0x%04X, detail %X)", e.class.msg, e.SW, e.Detail)
	}
	return fmt.Sprintf("ledger: %s (status 0x%04X)", e.class.msg, e.SW)
}

// Unwrap returns the error class.
func (e *StatusError) Unwrap() error { return e.class }

// Hint returns the class's hint for the user.
func (e *StatusError) Hint() string { return e.class.hint }

// Hint returns the user hint of the first DeviceError in err's chain, or "".
func Hint(err error) string {
	var d *DeviceError
	if errors.As(err, &d) {
		return d.Hint()
	}
	return ""
}

// SplitResponse splits a response into data and status word.
func SplitResponse(resp []byte) (data []byte, sw uint16, err error) {
	if len(resp) < 2 {
		return nil, 0, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(resp))
	}
	n := len(resp) - 2
	return resp[:n], binary.BigEndian.Uint16(resp[n:]), nil
}

// Check splits a response and returns its data if the status word is
// 0x9000, or a *StatusError otherwise.
func Check(resp []byte) ([]byte, error) {
	data, sw, err := SplitResponse(resp)
	if err != nil {
		return nil, err
	}
	if sw != SWOK {
		return nil, NewStatusError(sw, data)
	}
	return data, nil
}

// EncodeResponse appends the status word to data (device side).
func EncodeResponse(data []byte, sw uint16) []byte {
	return binary.BigEndian.AppendUint16(append(make([]byte, 0, len(data)+2), data...), sw)
}
