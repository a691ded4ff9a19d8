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
		name string
		id   uint16
	}{{"Ledger", ledgerVendorID}} {
		fmt.Fprintf(&b, "\n# %s\n", v.name)
		for _, sub := range []string{"hidraw", "usb"} {
			fmt.Fprintf(&b, "SUBSYSTEM==%q, ATTRS{idVendor}==\"%04x\", MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\"\n", sub, v.id)
		}
	}
	return b.String()
}
