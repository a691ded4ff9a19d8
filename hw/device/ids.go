package device

// USB identification of the devices hardfolio knows: the only place these
// numbers appear.
//
// Ledger (ledger-live devices/src/index.ts, HWI hwilib/devices/ledger.py):
// vendor 0x2C97; product 0xMMII with MM the model and II the interface
// bits, or one of the legacy ids of old firmware. The APDU channel is HID
// interface 0 (Linux) or usage page 0xFFA0 (macOS, Windows).

const (
	ledgerVendorID  uint16 = 0x2C97
	ledgerUsagePage uint16 = 0xFFA0
	ledgerInterface        = 0
)

// ledgerLegacyModels are the product ids of old firmware, checked first.
var ledgerLegacyModels = map[uint16]string{
	0x0000: "Blue",
	0x0001: "Nano S",
	0x0004: "Nano X",
	0x0005: "Nano S Plus",
	0x0006: "Stax",
}

// ledgerModels maps the high byte of the product id to the model.
var ledgerModels = map[uint16]string{
	0x00: "Blue",
	0x10: "Nano S",
	0x40: "Nano X",
	0x50: "Nano S Plus",
	0x60: "Stax",
	0x70: "Flex",
	0x80: "Nano Gen5",
}

// ledgerModel names the model of a Ledger product id.
func ledgerModel(pid uint16) string {
	if m, ok := ledgerLegacyModels[pid]; ok {
		return m
	}
	if m, ok := ledgerModels[pid>>8]; ok {
		return m
	}
	return "unknown Ledger"
}

// isLedgerAPDUInterface reports whether an enumerated HID interface is the
// one that carries APDUs.
func isLedgerAPDUInterface(usagePage uint16, iface int) bool {
	return usagePage == ledgerUsagePage || iface == ledgerInterface
}

// Trezor (trezor-firmware legacy/firmware/usb.c, core/embed/io/usb/usb_config.c;
// HWI hwilib/devices/trezorlib/transport): the Trezor One with firmware
// before 1.7.0 is a HID device 0x534C:0x0001, main interface 0 (usage page
// 0xFF00; interface 1 is the debug link). Later firmware and the other
// models are WebUSB devices 0x1209:0x53C1 (bootloader 0x53C0), which
// hardfolio reaches through the Trezor bridge.
const (
	trezorHIDVendorID     uint16 = 0x534C
	trezorHIDProductID    uint16 = 0x0001
	trezorHIDUsagePage    uint16 = 0xFF00
	trezorHIDInterface           = 0
	trezorWebUSBVendorID  uint16 = 0x1209
	trezorWebUSBProductID uint16 = 0x53C1
	trezorBootloaderPID   uint16 = 0x53C0
)

// isTrezorHIDInterface reports whether an enumerated HID interface is a
// Trezor One's main (not debug) interface.
func isTrezorHIDInterface(h uint16, pid uint16, usagePage uint16, iface int) bool {
	return h == trezorHIDVendorID && pid == trezorHIDProductID &&
		(usagePage == trezorHIDUsagePage || (usagePage == 0 && iface == trezorHIDInterface))
}

// trezorBridgeModel names a device the bridge lists by its USB ids.
func trezorBridgeModel(vendor, product int) string {
	switch {
	case uint16(vendor) == trezorHIDVendorID:
		return "Trezor One"
	case uint16(product) == trezorBootloaderPID:
		return "Trezor (bootloader)"
	}
	return "Trezor"
}
