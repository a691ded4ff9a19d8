package trezor

import (
	"errors"
	"fmt"

	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// DeviceError is a class of Trezor error with a hint for the user. Errors
// from the device (Failure messages) and from the client's checks wrap one
// of the Err* classes; Hint returns the sentence to show.
type DeviceError struct{ msg, hint string }

func (e *DeviceError) Error() string { return "trezor: " + e.msg }

// Hint is a sentence for the user on what to do next.
func (e *DeviceError) Hint() string { return e.hint }

// Error classes.
var (
	ErrCancelled = &DeviceError{"cancelled",
		"The request was cancelled on the Trezor or here. Try again and confirm on the device if it is what you expect; nothing was signed."}
	ErrWrongPIN = &DeviceError{"wrong PIN",
		"The PIN was wrong. Look at the keypad on the Trezor again and type the positions of your PIN's digits (the layout changes every time); after several wrong tries the device makes you wait."}
	ErrPINRequired = &DeviceError{"the device asks for its PIN",
		"Unlock the Trezor: run the command in a terminal so hardfolio can show the PIN keypad, or unlock it in Trezor Suite first."}
	ErrPassphraseRequired = &DeviceError{"the device asks for a passphrase",
		"This Trezor has passphrase protection on: run the command in a terminal so hardfolio can ask for it."}
	ErrNotInitialized = &DeviceError{"device not initialised",
		"This Trezor has no seed yet. Set it up (or recover the seed) in Trezor Suite, then try again."}
	ErrFirmwareTooOld = &DeviceError{"firmware too old",
		"Update the Trezor's firmware with Trezor Suite, then try again."}
	ErrDataError = &DeviceError{"the device refused the request data",
		"The Trezor could not accept this request (a path outside its safety checks, a transaction it cannot parse, or previous transactions that do not match). Check the wallet and the PSBT."}
	ErrBusy = &DeviceError{"device busy",
		"The Trezor is busy with another application (Trezor Suite?). Close it, or wait for it to finish, then try again."}
	ErrBootloader = &DeviceError{"device in bootloader mode",
		"The Trezor is in bootloader mode. Unplug it and plug it in again without touching the screen, then try again."}
	ErrUnsupported = &DeviceError{"not a supported Trezor",
		"hardfolio supports Trezor devices speaking protocol v1 (Trezor One, Model T, Safe 3, Safe 5 through the bridge). Check the device, or update hardfolio."}
	ErrProtocol = &DeviceError{"unexpected message from the device",
		"The Trezor answered out of turn. Unplug it and plug it in again, then try again; nothing was signed."}
	ErrSilent = &DeviceError{"the device went silent",
		"The Trezor stopped answering. Check the cable (or that the emulator still runs), unplug it and plug it in again, then try again; nothing was signed."}
	ErrFailure = &DeviceError{"device error",
		"The Trezor reported an error. Unplug it and plug it in again, update its firmware if it persists."}
)

// failureClasses is the one table from Failure code to error class.
var failureClasses = map[uint32]*DeviceError{
	wire.FailureActionCancelled:   ErrCancelled,
	wire.FailurePinCancelled:      ErrCancelled,
	wire.FailurePinInvalid:        ErrWrongPIN,
	wire.FailurePinMismatch:       ErrWrongPIN,
	wire.FailurePinExpected:       ErrPINRequired,
	wire.FailureNotInitialized:    ErrNotInitialized,
	wire.FailureDataError:         ErrDataError,
	wire.FailureBusy:              ErrBusy,
	wire.FailureUnexpectedMessage: ErrProtocol,
	wire.FailureInvalidProtocol:   ErrFirmwareTooOld, // THP-only firmware: we speak v1
}

// FailureError is a Failure message from the device.
type FailureError struct {
	Code    uint32
	Message string
	class   *DeviceError
}

func (e *FailureError) Error() string {
	return fmt.Sprintf("%s (Failure %d: %s)", e.class.Error(), e.Code, e.Message)
}

// Unwrap returns the error class.
func (e *FailureError) Unwrap() error { return e.class }

// failure maps a Failure to its error.
func failure(f wire.Failure) error {
	c, ok := failureClasses[f.Code]
	if !ok {
		c = ErrFailure
	}
	return &FailureError{Code: f.Code, Message: f.Message, class: c}
}

// Hint returns the user hint of the first DeviceError in err's chain, or "".
func Hint(err error) string {
	var d *DeviceError
	if errors.As(err, &d) {
		return d.Hint()
	}
	return ""
}
