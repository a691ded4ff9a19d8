package ledger

import "encoding/binary"

// maxPathSteps is the longest path the app reads (MAX_BIP32_PATH_STEPS).
const maxPathSteps = 10

// maxAccount is the largest account exported without a warning
// (MAX_BIP44_ACCOUNT_RECOMMENDED).
const maxAccount = 100

// getExtendedPubkey answers GET_EXTENDED_PUBKEY (E1 00):
//
//	| size | field                            |
//	|------|----------------------------------|
//	| 1    | display: 0 or 1                  |
//	| 1    | n, number of path steps (<= 10)  |
//	| 4n   | path steps, u32 BE               |
//
// Response: the base58 xpub (or tpub) in ASCII. Errors:
//
//	0x6A87  data too short
//	0x6A80  display > 1 or n > 10
//	0x6A82  path not safe for export (see pathSafeForExport) and display = 0,
//	        or outside the paths the OS lets the app derive (appMayDerive)
//	0x6985  display = 1 and the user refused
//
// Extra bytes after the path are ignored, as the app does.
func (d *Device) getExtendedPubkey(data []byte) []byte {
	if len(data) < 2 {
		return sw(SWWrongDataLength)
	}
	display, n := data[0], int(data[1])
	if display > 1 || n > maxPathSteps {
		return sw(SWIncorrectData)
	}
	if len(data) < 2+4*n {
		return sw(SWWrongDataLength)
	}
	path := make([]uint32, n)
	for i := range path {
		path[i] = binary.BigEndian.Uint32(data[2+4*i:])
	}

	if !d.pathSafeForExport(path) && display == 0 {
		return sw(SWNotSupported)
	}
	if !d.appMayDerive(path) {
		return sw(SWNotSupported)
	}
	xpub, err := d.keys.Xpub(path, d.coin.xpubVersion)
	if err != nil {
		return sw(SWBadState)
	}
	// With display set the device shows the path (with a warning first when
	// it is not standard) and the key, and waits for the user.
	if display == 1 && !d.confirm(ScreenXpub) {
		return sw(SWDeny)
	}
	return withSW([]byte(xpub), SWOK)
}

// pathSafeForExport reports whether the app exports the key at path without
// showing it (is_path_safe_for_pubkey_export in get_extended_pubkey.c):
//
//   - m/4541509'/1112098098' (Electrum's historical path), or
//   - purpose 44'/45'/49'/84'/86' with the first 3 steps hardened, or 48'
//     with the first 4 hardened and script type 1' or 2';
//   - the coin type is the app's (0' or 1'), the account at most 100';
//   - any further steps are not hardened.
func (d *Device) pathSafeForExport(path []uint32) bool {
	if len(path) == 2 && path[0] == hardened+4541509 && path[1] == hardened+1112098098 {
		return true
	}
	if len(path) < 3 {
		return false
	}
	var nHardened int
	switch path[0] &^ hardened {
	case 44, 45, 49, 84, 86:
		nHardened = 3
	case 48:
		nHardened = 4
	default:
		return false
	}
	if len(path) < nHardened {
		return false
	}
	for i, step := range path {
		if (i < nHardened) != (step >= hardened) {
			return false
		}
	}
	if path[1]&^hardened != d.coin.coinType || path[2]&^hardened > maxAccount {
		return false
	}
	if nHardened == 4 {
		if st := path[3] &^ hardened; st != 1 && st != 2 {
			return false
		}
	}
	return true
}

// appMayDerive reports whether the OS lets the app derive at path. The app
// is installed with the path prefixes "*/c'" (any purpose, the app's coin
// type), "4541509'" and "45'", and without the right to derive the master
// key (Makefile PATH_APP_LOAD_PARAMS); the OS refuses anything else, which
// the app reports as 0x6A82.
func (d *Device) appMayDerive(path []uint32) bool {
	switch {
	case len(path) == 0:
		return false
	case path[0] == hardened+4541509 || path[0] == hardened+45:
		return true
	default:
		return len(path) >= 2 && path[1] == hardened+d.coin.coinType
	}
}
