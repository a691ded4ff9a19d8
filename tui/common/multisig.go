package common

import (
	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// DeviceMultisig describes a multisig descriptor to a device, under the
// name it was registered with: what the screens that sign for multisig
// wallets or show their addresses on a device hand to hw/device.
func DeviceMultisig(m *descriptor.Multisig, name string) device.Multisig {
	out := device.Multisig{Name: name, Script: device.MultisigScript(m.Wrap()), Sorted: m.Sorted(), Threshold: m.Threshold()}
	for _, k := range m.Keys() {
		fp := k.Origin.Fingerprint
		out.Keys = append(out.Keys, device.MultisigKey{Fingerprint: uint32(fp[0])<<24 | uint32(fp[1])<<16 | uint32(fp[2])<<8 | uint32(fp[3]),
			Path: k.Origin.Path, Xpub: k.Xpub, Receive: k.Receive, Change: k.Change})
	}
	return out
}
