package device

import (
	"fmt"
	"strings"
)

// UdevRules returns Linux udev rules that let members of the plugdev group,
// and the user at the seat (uaccess), open the USB devices of every vendor
// hardfolio knows: the hidraw nodes (hidapi's hidraw backend) and the raw
// USB nodes (its libusb backend, which hardfolio uses on Linux).
func UdevRules() string {
	var b strings.Builder
	b.WriteString("# udev rules for hardware wallets used by hardfolio.\n")
	b.WriteString("# Install: save as /etc/udev/rules.d/20-hardfolio.rules, then run\n")
	b.WriteString("#   sudo udevadm control --reload-rules && sudo udevadm trigger\n")
	b.WriteString("# and unplug and replug the device.\n")
	for _, v := range []struct {
		name    string
		id      uint16
		product string // an ATTRS{idProduct} pattern, for shared vendor ids
	}{
		{"Ledger", ledgerVendorID, ""},
		{"Trezor One (HID firmware)", trezorHIDVendorID, ""},
		// 0x1209 is pid.codes' shared vendor id: match Trezor's products only.
		{"Trezor (WebUSB: newer Trezor One firmware, Model T, Safe; used by the Trezor bridge)", trezorWebUSBVendorID,
			fmt.Sprintf("%04x|%04x", trezorBootloaderPID, trezorWebUSBProductID)},
	} {
		fmt.Fprintf(&b, "\n# %s\n", v.name)
		for _, sub := range []string{"hidraw", "usb"} {
			if v.product != "" && sub == "hidraw" {
				continue // WebUSB devices have no hidraw node
			}
			match := fmt.Sprintf("SUBSYSTEM==%q, ATTRS{idVendor}==\"%04x\"", sub, v.id)
			if v.product != "" {
				match += fmt.Sprintf(", ATTRS{idProduct}==\"%s\"", v.product)
			}
			fmt.Fprintf(&b, "%s, MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\"\n", match)
		}
	}
	return b.String()
}
