package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
	"codeberg.org/hardfolio/hardfolio/wallet"
)

// serveTrezorSim serves a simulated Trezor with Speculos' seed (so the
// Ledger tests' keys and PSBTs apply) on a loopback UDP port.
func serveTrezorSim(t *testing.T, opts simtrezor.Options) (string, *simtrezor.Device) {
	t.Helper()
	opts.Mnemonic = simledger.SpeculosMnemonic
	return simtest.Trezor(t, opts)
}

func TestHWTrezor(t *testing.T) {
	addr, dev := serveTrezorSim(t, simtrezor.Options{})
	uri := "trezor-udp:" + addr

	// The same keys as the Ledger of the same seed gives.
	checkSpeculosSeed(t, uri)
	if got := strings.TrimSpace(string(runCLI(t, "hw", "address", "--device", uri, "--descriptor", simDesc84, "--index", "3"))); got != "tb1qxvvwqnawdsf2ljcqn35u64l9kfgy4e45v3uamu" {
		t.Errorf("address %s", got)
	}

	var list hwListJSON
	if err := json.Unmarshal(runCLI(t, "hw", "list", "--trezor-udp", addr, "--json"), &list); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, d := range list.Devices {
		if d.URI == uri {
			found = d.Vendor == "Trezor" && d.App == "Bitcoin" && d.Fingerprint != nil && *d.Fingerprint == "f5acc2fd" && d.Error == nil
		}
	}
	if !found {
		t.Errorf("hw list --json: %+v", list)
	}

	// Signing: the Ledger tests' PSBT, with the previous transaction on the
	// taproot input too (a Trezor checks every input's when any is not
	// taproot).
	p, prevOuts := testPSBT(t, uri)
	p.Inputs[1].NonWitnessUtxo = p.Inputs[0].NonWitnessUtxo
	dir := t.TempDir()
	in := filepath.Join(dir, "pay.psbt")
	if err := wallet.WritePSBTFile(in, p, wallet.Base64); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(in)

	// Refused on the device: an error with its hint, no output file.
	dev.SetFaults(simtrezor.Faults{RejectNext: true})
	_, _, err := runHW("hw", "sign", in, "--device", uri)
	if !errors.Is(err, trezor.ErrCancelled) || !strings.Contains(err.Error(), trezor.ErrCancelled.Hint()) {
		t.Fatalf("refused: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pay.signed.psbt")); err == nil {
		t.Fatal("a refused signing wrote a file")
	}

	out, errOut, err := runHW("hw", "sign", in, "--device", uri)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(in); !bytes.Equal(after, orig) {
		t.Fatal("hw sign changed its input file")
	}
	if !strings.Contains(out, "signed 2 of 2 inputs") || !strings.Contains(errOut, "confirm the output on your Trezor") {
		t.Errorf("output %q / %q", out, errOut)
	}
	signed, err := wallet.ReadPSBTFile(filepath.Join(dir, "pay.signed.psbt"))
	if err != nil {
		t.Fatal(err)
	}
	verifySigned(t, signed, prevOuts)
}

// TestHWTrezorPIN: the PIN is asked for at the terminal as keypad
// positions; the user reads the digits off the device's screen.
func TestHWTrezorPIN(t *testing.T) {
	grids := make(chan [3][3]byte, 4)
	addr, _ := serveTrezorSim(t, simtrezor.Options{PIN: "3917", ShowPIN: func(g [3][3]byte) { grids <- g }})
	stdin, typed := io.Pipe()
	go func() {
		io.WriteString(typed, simtrezor.KeypadPositions(<-grids, "3917")+"\n")
	}()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(stdin)
	cmd.SetArgs([]string{"hw", "fingerprint", "--device", "trezor-udp:" + addr})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err, errOut.String())
	}
	if strings.TrimSpace(out.String()) != "f5acc2fd" || !strings.Contains(errOut.String(), "7 8 9") {
		t.Fatalf("out %q err %q", out.String(), errOut.String())
	}
}
