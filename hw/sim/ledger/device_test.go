package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
)

// tcpClient is a minimal Speculos APDU client, written from the framing
// alone: u32 BE length || APDU out; u32 BE N || data || SW back.
type tcpClient struct {
	t    *testing.T
	conn net.Conn
}

func dial(t *testing.T, addr string) *tcpClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &tcpClient{t: t, conn: conn}
}

// roundTrip sends a raw APDU and returns data and SW, or an error if the
// connection breaks.
func (c *tcpClient) roundTrip(apdu []byte) ([]byte, uint16, error) {
	c.conn.SetDeadline(time.Now().Add(5 * time.Second))
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(apdu)))
	if _, err := c.conn.Write(append(msg, apdu...)); err != nil {
		return nil, 0, err
	}
	var hdr [4]byte
	if _, err := io.ReadFull(c.conn, hdr[:]); err != nil {
		return nil, 0, err
	}
	rest := make([]byte, binary.BigEndian.Uint32(hdr[:])+2)
	if _, err := io.ReadFull(c.conn, rest); err != nil {
		return nil, 0, err
	}
	n := len(rest)
	return rest[:n-2], binary.BigEndian.Uint16(rest[n-2:]), nil
}

func (c *tcpClient) send(apdu []byte) ([]byte, uint16) {
	c.t.Helper()
	data, sw, err := c.roundTrip(apdu)
	if err != nil {
		c.t.Fatalf("exchange %x: %v", apdu, err)
	}
	return data, sw
}

// cmd builds CLA INS P1 P2 Lc data.
func cmd(cla, ins, p1, p2 byte, data []byte) []byte {
	return append([]byte{cla, ins, p1, p2, byte(len(data))}, data...)
}

// xpubReq builds a GET_EXTENDED_PUBKEY request.
func xpubReq(display bool, path []uint32) []byte {
	d := []byte{0, byte(len(path))}
	if display {
		d[0] = 1
	}
	for _, s := range path {
		d = binary.BigEndian.AppendUint32(d, s)
	}
	return cmd(0xE1, 0x00, 0, 1, d)
}

// parsePath parses m/44'/1'/0'.
func parsePath(t *testing.T, s string) []uint32 {
	t.Helper()
	var out []uint32
	for _, part := range strings.Split(s, "/")[1:] {
		var v uint32
		hard := strings.HasSuffix(part, "'")
		for _, ch := range strings.TrimSuffix(part, "'") {
			if ch < '0' || ch > '9' {
				t.Fatalf("bad path %q", s)
			}
			v = v*10 + uint32(ch-'0')
		}
		if hard {
			v += h
		}
		out = append(out, v)
	}
	return out
}

// startSim builds a device and serves it on a loopback port.
func startSim(t *testing.T, opts Options) (*Device, string) {
	t.Helper()
	d, warning, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if warning != Warning || !strings.Contains(warning, "never put real funds") {
		t.Fatalf("warning = %q", warning)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ln) }()
	t.Cleanup(func() {
		d.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return d, ln.Addr().String()
}

func wantSW(t *testing.T, what string, got, want uint16) {
	t.Helper()
	if got != want {
		t.Errorf("%s: SW %04X, want %04X", what, got, want)
	}
}

func TestAppAndVersion(t *testing.T) {
	for _, tc := range []struct {
		net  *chaincfg.Params
		name string
	}{
		{nil, "Bitcoin Test"},
		{&chaincfg.TestNet3Params, "Bitcoin Test"},
		{&chaincfg.RegressionNetParams, "Bitcoin Test"},
		{&chaincfg.MainNetParams, "Bitcoin"},
	} {
		_, addr := startSim(t, Options{Network: tc.net, AppVersion: "2.3.0"})
		c := dial(t, addr)
		data, sw := c.send([]byte{0xB0, 0x01, 0x00, 0x00})
		wantSW(t, "B0 01", sw, SWOK)
		want := append([]byte{0x01, byte(len(tc.name))}, tc.name...)
		want = append(want, 5, '2', '.', '3', '.', '0', 0x01, 0x00)
		if !bytes.Equal(data, want) {
			t.Errorf("%s: got %x, want %x", tc.name, data, want)
		}
	}
}

func TestMasterFingerprint(t *testing.T) {
	_, addr := startSim(t, Options{})
	c := dial(t, addr)
	data, sw := c.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "E1 05", sw, SWOK)
	if !bytes.Equal(data, []byte{0xf5, 0xac, 0xc2, 0xfd}) {
		t.Fatalf("fingerprint %x, want f5acc2fd", data)
	}
	// Protocol version 0 is still accepted.
	if _, sw := c.send(cmd(0xE1, 0x05, 0, 0, nil)); sw != SWOK {
		t.Errorf("P2=0: %04X", sw)
	}
}

// Expected tpubs for Speculos' default seed on "Bitcoin Test", from
// app-bitcoin-new tests/test_get_extended_pubkey.py
// (test_get_extended_pubkey_standard_nodisplay and
// test_get_extended_pubkey_exception_nodisplay).
var standardXpubs = map[string]string{
	"m/44'/1'/0'":            "tpubDCwYjpDhUdPGP5rS3wgNg13mTrrjBuG8V9VpWbyptX6TRPbNoZVXsoVUSkCjmQ8jJycjuDKBb9eataSymXakTTaGifxR6kmVsfFehH1ZgJT",
	"m/44'/1'/10'":           "tpubDCwYjpDhUdPGp21gSpVay2QPJVh6WNySWMXPhbcu1DsxH31dF7mY18oibbu5RxCLBc1Szerjscuc3D5HyvfYqfRvc9mesewnFqGmPjney4d",
	"m/44'/1'/2'/1/42":       "tpubDGF9YgHKv6qh777rcqVhpmDrbNzgophJM9ec7nHiSfrbss7fVBXoqhmZfohmJSvhNakDHAspPHjVVNL657tLbmTXvSeGev2vj5kzjMaeupT",
	"m/48'/1'/4'/1'/0/7":     "tpubDK8WPFx4WJo1R9mEL7Wq325wBiXvkAe8ipgb9Q1QBDTDUD2YeCfutWtzY88NPokZqJyRPKHLGwTNLT7jBG59aC6VH8q47LDGQitPB6tX2d7",
	"m/49'/1'/1'/1/3":        "tpubDGnetmJDCL18TyaaoyRAYbkSE9wbHktSdTS4mfsR6inC8c2r6TjdBt3wkqEQhHYPtXpa46xpxDaCXU2PRNUGVvDzAHPG6hHRavYbwAGfnFr",
	"m/84'/1'/2'/0/10":       "tpubDG9YpSUwScWJBBSrhnAT47NcT4NZGLcY18cpkaiWHnkUCi19EtCh8Heeox268NaFF6o56nVeSXuTyK6jpzTvV1h68Kr3edA8AZp27MiLUNt",
	"m/86'/1'/4'/1/12":       "tpubDHTZ815MvTaRmo6Qg1rnU6TEU4ZkWyA56jA1UgpmMcBGomnSsyo34EZLoctzZY9MTJ6j7bhccceUeXZZLxZj5vgkVMYfcZ7DNPsyRdFpS3f",
	"m/86'/1'/4'/1/2/3/4/5":  "tpubDNcjumrTe1BBYEc1FmMaJZQw47mbvb4LfX4YwqC6GQ18PfMfuH3BEYREfdHm2gWXkSJ3JiXHF11iKnbJxzxp5qkgo8BBy2L48FRvrLhpTuh",
	"m/45'/1'/0'":            "tpubDCy2BKyxJFzACNgThkunvdnkHNotREK9LQDw8L9J1gx26SyzfoeJynJgWekzkramggmahVAgeHPxfpnvFtJ7hcYADrsVUnsPSei2tY9fBLL",
	"m/45'/1'/0'/1":          "tpubDFGDxRGdGFKekUtPuta4p9Kw2a2PSeyyhSTa7KNENJfBuJ78EEsL1LxwAA8ddSxZFWBT9gYRuLDoa2rwdix56WRsq77vAJ2iqeyPw6UBeyt",
	"m/4541509'/1112098098'": "tpubDAs3mrkQXkGyzp7Yo9SXiZNW7Tmia5EmdUpXjuBQvBDDGGr9CnVHehSB6P5RZFY3bwkYBweXir8MhmvPXqYHHVxKrFkm3mfZ5UkjG5ZH8Ui",
	// Account keys of the default policies, from tests/test_get_wallet_address.py.
	"m/84'/1'/0'": "tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P",
	"m/49'/1'/0'": "tpubDC871vGLAiKPcwAw22EjhKVLk5L98UGXBEcGR8gpcigLQVDDfgcYW24QBEyTHTSFEjgJgbaHU8CdRi9vmG4cPm1kPLmZhJEP17FMBdNheh3",
	"m/86'/1'/0'": "tpubDDKYE6BREvDsSWMazgHoyQWiJwYaDDYPbCFjYxN3HFXJP5fokeiK4hwK5tTLBNEDBwrDXn8cQ4v9b2xdW62Xr5yxoQdMu1v6c7UDXYVH27U",
}

// Non-standard paths accepted only with display, from
// test_get_extended_pubkey_standard_display and
// test_get_extended_pubkey_nonstandard_display.
var displayOnlyXpubs = map[string]string{
	"m/45'/2'/0'/1'":                 "tpubDFL11pFAgsKed5bv9Tkxe51xyB4qo1cPDwK6c8WZ4wiVEjtGDg5YuMXNk9yZcB6b47k2oaSWADJF3CRmk97qAwnaiRieT2ocWzh4rq2b3F3",
	"m/48'/1'/0'/2'/0'/1'/2'/3'/0/1": "tpubDSegeM6ezY6VYgNjYiUxk94ZwLYeuUzHpUYff4LLdEEUVUd8VpgGUxyxZ9oRiEepZzmFZogVWFEWznRj3oJgEuWjcg6BERCxTCYdaxwtShk",
	"m/45'":                          "tpubDA4runSouWhEn4C36dL1PwpMhWi1LCgc7EkYJXLExjVr3eWNE5p5ZRUe7LN7cY8YwCroQsLECcv9ufij8EUpDHM2WQM9Cba8Ztf6Zo8jpFf",
}

func TestGetExtendedPubkeyVectors(t *testing.T) {
	_, addr := startSim(t, Options{})
	c := dial(t, addr)
	for path, want := range standardXpubs {
		for _, display := range []bool{false, true} {
			data, sw := c.send(xpubReq(display, parsePath(t, path)))
			wantSW(t, path, sw, SWOK)
			if string(data) != want {
				t.Errorf("%s display=%v: got %s, want %s", path, display, data, want)
			}
		}
	}
	for path, want := range displayOnlyXpubs {
		data, sw := c.send(xpubReq(true, parsePath(t, path)))
		wantSW(t, path, sw, SWOK)
		if string(data) != want {
			t.Errorf("%s: got %s, want %s", path, data, want)
		}
		data, sw = c.send(xpubReq(false, parsePath(t, path)))
		wantSW(t, path+" without display", sw, SWNotSupported)
		if len(data) != 0 {
			t.Errorf("%s: data %x with an error", path, data)
		}
	}
}

func TestGetExtendedPubkeyRefusals(t *testing.T) {
	_, addr := startSim(t, Options{})
	c := dial(t, addr)
	// test_get_extended_pubkey_nonstandard_nodisplay
	for _, path := range []string{
		"m", "m/44'", "m/44'/1'", "m/44'/10'/0'", "m/44'/1'/0", "m/44'/1/0'", "m/44/1'/0'",
		"m/48'/1'/0'/0'", "m/48'/1'/0'/3'", "m/999'/1'/0'", "m/45'/2'/0'", "m/45'/1'",
		"m/44'/1'/101'", "m/84'/1'/0'/0'",
	} {
		data, sw := c.send(xpubReq(false, parsePath(t, path)))
		wantSW(t, path, sw, SWNotSupported)
		if len(data) != 0 {
			t.Errorf("%s: data with an error", path)
		}
	}
	// test_get_extended_pubkey_non_standard: refused by the OS even with
	// display (no master key, coin type not the app's), too long a path.
	for path, want := range map[string]uint16{
		"m":                                SWNotSupported,
		"m/44'/2'/333'":                    SWNotSupported,
		"m/48'/1'/0'/2'/0'/1'/2'/3'/0/1/2": SWIncorrectData,
	} {
		_, sw := c.send(xpubReq(true, parsePath(t, path)))
		wantSW(t, path+" display", sw, want)
	}
	p := parsePath(t, "m/84'/1'/0'")
	bad := xpubReq(false, p)
	bad[5] = 2 // display byte
	_, sw := c.send(bad)
	wantSW(t, "display=2", sw, SWIncorrectData)
	_, sw = c.send(cmd(0xE1, 0x00, 0, 1, []byte{0}))
	wantSW(t, "no path length", sw, SWWrongDataLength)
	_, sw = c.send(cmd(0xE1, 0x00, 0, 1, []byte{0, 3, 0x80, 0, 0, 84}))
	wantSW(t, "truncated path", sw, SWWrongDataLength)
}

func TestMainnet(t *testing.T) {
	_, addr := startSim(t, Options{Network: &chaincfg.MainNetParams})
	c := dial(t, addr)
	data, sw := c.send(xpubReq(false, parsePath(t, "m/84'/0'/0'")))
	wantSW(t, "m/84'/0'/0'", sw, SWOK)
	if !strings.HasPrefix(string(data), "xpub") {
		t.Errorf("mainnet key %s is not an xpub", data)
	}
	_, sw = c.send(xpubReq(false, parsePath(t, "m/84'/1'/0'")))
	wantSW(t, "testnet path on mainnet", sw, SWNotSupported)
	_, sw = c.send(xpubReq(true, parsePath(t, "m/84'/1'/0'")))
	wantSW(t, "testnet path on mainnet, display", sw, SWNotSupported)
}

func TestDispatcherErrors(t *testing.T) {
	_, addr := startSim(t, Options{})
	c := dial(t, addr)
	for _, tc := range []struct {
		name string
		apdu []byte
		want uint16
	}{
		{"wrong CLA", cmd(0xE2, 0x05, 0, 1, nil), SWClaNotSupported},
		{"legacy CLA E0", cmd(0xE0, 0x40, 0, 0, nil), SWClaNotSupported},
		{"unknown INS", cmd(0xE1, 0x7F, 0, 1, nil), SWInsNotSupported},
		{"REGISTER_WALLET, empty policy", cmd(0xE1, 0x02, 0, 1, []byte{0}), SWIncorrectData},
		{"SIGN_PSBT, no data", cmd(0xE1, 0x04, 0, 1, nil), SWWrongDataLength},
		{"SIGN_MESSAGE", cmd(0xE1, 0x10, 0, 1, nil), SWInsNotSupported},
		{"P2 = 2", cmd(0xE1, 0x05, 0, 2, nil), SWWrongP1P2},
		{"P2 checked before CLA", cmd(0xE2, 0x05, 0, 2, nil), SWWrongP1P2},
		{"P1 ignored", cmd(0xE1, 0x05, 7, 1, nil), SWOK},
		{"stray CONTINUE", cmd(0xF8, 0x01, 0, 1, nil), SWBadState},
		{"no Lc", []byte{0xE1, 0x05, 0, 1}, SWWrongDataLength},
		{"Lc too big", []byte{0xE1, 0x05, 0, 1, 3, 0}, SWWrongDataLength},
		{"Lc too small", []byte{0xE1, 0x05, 0, 1, 0, 0}, SWWrongDataLength},
		{"empty", nil, SWWrongDataLength},
		{"B0 01 with P1 set goes to the app", []byte{0xB0, 0x01, 1, 0, 0}, SWClaNotSupported},
	} {
		_, sw := c.send(tc.apdu)
		wantSW(t, tc.name, sw, tc.want)
	}
}

func TestFaultRejectNext(t *testing.T) {
	d, addr := startSim(t, Options{Faults: Faults{RejectNext: true}})
	c := dial(t, addr)
	p := parsePath(t, "m/84'/1'/0'")
	// Nothing shown: not affected, the fault stays armed.
	if _, sw := c.send(xpubReq(false, p)); sw != SWOK {
		t.Fatalf("no display: %04X", sw)
	}
	if _, sw := c.send(cmd(0xE1, 0x05, 0, 1, nil)); sw != SWOK {
		t.Fatalf("fingerprint: %04X", sw)
	}
	data, sw := c.send(xpubReq(true, p))
	wantSW(t, "display, rejected", sw, SWDeny)
	if len(data) != 0 {
		t.Errorf("data %x with a refusal", data)
	}
	if d.Faults().RejectNext {
		t.Error("RejectNext still set after use")
	}
	_, sw = c.send(xpubReq(true, p))
	wantSW(t, "display, after the refusal", sw, SWOK)
	// A non-standard path shown and refused.
	d.SetFaults(Faults{RejectNext: true})
	_, sw = c.send(xpubReq(true, parsePath(t, "m/46'/1'/333'")))
	wantSW(t, "non-standard, refused", sw, SWDeny)
}

func TestFaultLocked(t *testing.T) {
	d, addr := startSim(t, Options{Faults: Faults{Locked: true}})
	c := dial(t, addr)
	for _, apdu := range [][]byte{
		{0xB0, 0x01, 0, 0},
		cmd(0xE1, 0x05, 0, 1, nil),
		xpubReq(false, parsePath(t, "m/84'/1'/0'")),
		cmd(0xE2, 0x00, 0, 0, nil),
		{0x01},
	} {
		data, sw := c.send(apdu)
		wantSW(t, "locked", sw, SWLocked)
		if len(data) != 0 {
			t.Errorf("locked device sent %x", data)
		}
	}
	d.SetFaults(Faults{})
	if _, sw := c.send(cmd(0xE1, 0x05, 0, 1, nil)); sw != SWOK {
		t.Errorf("unlocked: %04X", sw)
	}
}

func TestFaultDashboard(t *testing.T) {
	_, addr := startSim(t, Options{Faults: Faults{Dashboard: true}})
	c := dial(t, addr)
	data, sw := c.send([]byte{0xB0, 0x01, 0, 0})
	wantSW(t, "B0 01 on dashboard", sw, SWOK)
	if want := append([]byte{1, 5}, "BOLOS\x052.2.3"...); !bytes.Equal(data, want) {
		t.Errorf("dashboard app and version %q, want %q", data, want)
	}
	_, sw = c.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "E1 on dashboard", sw, SWClaNotSupported)
	_, sw = c.send(cmd(0xE0, 0xD8, 0, 0, []byte("Ethereum")))
	wantSW(t, "open another app", sw, SWAppNotInstalled)
	_, sw = c.send(cmd(0xE0, 0xD8, 0, 0, []byte("Bitcoin Test")))
	wantSW(t, "open the app", sw, SWOK)
	data, sw = c.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "E1 in the app", sw, SWOK)
	if len(data) != 4 {
		t.Errorf("fingerprint %x", data)
	}
	_, sw = c.send([]byte{0xB0, 0xA7, 0, 0})
	wantSW(t, "quit app", sw, SWOK)
	_, sw = c.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "E1 after quitting", sw, SWClaNotSupported)
}

func TestFaultDisconnect(t *testing.T) {
	d, addr := startSim(t, Options{Faults: Faults{DisconnectAfter: 2}})
	c := dial(t, addr)
	for i := 0; i < 2; i++ {
		if _, sw := c.send(cmd(0xE1, 0x05, 0, 1, nil)); sw != SWOK {
			t.Fatalf("exchange %d: %04X", i, sw)
		}
	}
	if _, _, err := c.roundTrip(cmd(0xE1, 0x05, 0, 1, nil)); err == nil {
		t.Fatal("third exchange answered; want a dropped connection")
	}
	// Still unplugged: a new connection is dropped at once.
	c2 := dial(t, addr)
	if _, _, err := c2.roundTrip([]byte{0xB0, 0x01, 0, 0}); err == nil {
		t.Fatal("unplugged device answered")
	}
	if _, err := d.Exchange([]byte{0xB0, 0x01, 0, 0}); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Exchange: %v, want ErrDisconnected", err)
	}
	// Plugged back in.
	d.SetFaults(Faults{})
	c3 := dial(t, addr)
	if _, sw := c3.send(cmd(0xE1, 0x05, 0, 1, nil)); sw != SWOK {
		t.Fatalf("after replug: %04X", sw)
	}
}

func TestSequentialConnectionsAndClose(t *testing.T) {
	d, _, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ln) }()
	for i := 0; i < 3; i++ {
		c := dial(t, ln.Addr().String())
		if _, sw := c.send(cmd(0xE1, 0x05, 0, 1, nil)); sw != SWOK {
			t.Fatalf("connection %d: %04X", i, sw)
		}
		c.conn.Close()
	}
	// A connection left open does not keep Close from stopping Serve.
	c := dial(t, ln.Addr().String())
	c.send([]byte{0xB0, 0x01, 0, 0})
	d.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if _, _, err := c.roundTrip([]byte{0xB0, 0x01, 0, 0}); err == nil {
		t.Error("closed device answered")
	}
	if _, err := d.Exchange([]byte{0xB0, 0x01, 0, 0}); !errors.Is(err, ErrClosed) {
		t.Errorf("Exchange after Close: %v", err)
	}
}
