// Package regtest runs a real btcd node on regtest for tests: it builds the
// btcd of the version in go.mod, starts it on loopback ports with a
// temporary data directory, mines, broadcasts and reads the chain back.
// Wallet holds a test seed's private keys and signs spends from the
// watch-only descriptors derived from it, so tests can create real
// activity. Populate puts a varied history on the chain.
//
// The binary is built with "go install github.com/btcsuite/btcd@VERSION",
// that is with btcd's own go.mod, not as a tool of this module: btcd's
// main package does not compile against the newer btcec/v2 this module
// pins (ecdsa.SignCompact changed its results), so a "tool" directive in
// go.mod would break "go build all". The build needs the module proxy
// once (or a filled module cache) and lands in the user's cache
// directory, where later runs find it. Nodes listen on 127.0.0.1 only
// and never connect to peers.
//
// Only tests use this package; its keys are public test keys.
package regtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

const btcdModule = "github.com/btcsuite/btcd"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildTook time.Duration
)

// Binary returns the path of a btcd executable of the version this module
// requires, building it on first use. The build (go install of that
// version, with btcd's own go.mod) lands in the user's cache directory and
// is reused by later test runs; the first one takes a minute or two.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		buildPath, buildErr = build()
		buildTook = time.Since(start)
	})
	if buildErr != nil {
		t.Fatalf("regtest: building btcd: %v", buildErr)
	}
	return buildPath
}

// BuildTime reports how long getting the btcd binary took in this
// process: the build, or the look-up of a cached one.
func BuildTime() time.Duration { return buildTook }

// btcdVersion returns the version of btcd this module requires, read
// from the test binary's build information.
func btcdVersion() (string, error) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == btcdModule {
				if m.Replace != nil {
					return "", errors.New("btcd is replaced in go.mod; cannot build it by version")
				}
				return m.Version, nil
			}
		}
	}
	out, err := exec.Command(goTool(), "list", "-m", "-f", "{{.Version}}", btcdModule).Output()
	if err != nil {
		return "", fmt.Errorf("finding btcd's version: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// The user's cache directory, read when the test binary starts: tests that
// point XDG_CACHE_HOME at a temporary directory for their own files must
// not make every run build btcd again.
var userCacheDir, userCacheErr = os.UserCacheDir()

func build() (string, error) {
	version, err := btcdVersion()
	if err != nil {
		return "", err
	}
	cache, err := userCacheDir, userCacheErr
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "hardfolio-test", fmt.Sprintf("btcd-%s-%s-%s", version, runtime.GOOS, runtime.GOARCH))
	exe := "btcd"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	bin := filepath.Join(dir, exe)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build into a fresh directory and rename, so that concurrent test
	// processes never run a half-written binary. btcd is built with its
	// own go.mod (go install pkg@version): its main package needs the
	// btcec version it was released with, not the one this module pins.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goTool(), "install", btcdModule+"@"+version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %v\n%s", btcdModule, version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, exe), bin); err != nil {
		if _, statErr := os.Stat(bin); statErr == nil {
			return bin, nil // another process won the race
		}
		return "", err
	}
	return bin, nil
}

// Node is a running btcd on regtest, reachable on 127.0.0.1 only.
type Node struct {
	// Params are regtest's chain parameters.
	Params *chaincfg.Params
	// RPCAddr is the JSON-RPC address, 127.0.0.1:port, plain HTTP.
	RPCAddr string
	// User and Pass are the RPC credentials.
	User, Pass string

	dir       string
	removeDir bool
	cmd       *exec.Cmd
	exited    chan struct{}
	id        atomic.Int64
	hc        *http.Client
}

// URL returns the RPC endpoint as a URL.
func (n *Node) URL() string { return "http://" + n.RPCAddr }

// Start builds (once) and starts btcd on regtest with a temporary data
// directory, the transaction index and compact filters, paying mined
// blocks to miningAddr, and stops it when the test ends.
func Start(t testing.TB, miningAddr btcutil.Address) *Node {
	t.Helper()
	n := startRetry(t, miningAddr, t.TempDir())
	t.Cleanup(func() {
		n.Stop()
		if t.Failed() {
			t.Logf("btcd log (last lines):\n%s", n.logTail(40))
		}
	})
	return n
}

// StartDetached is Start for a node shared by several tests: it outlives
// t, and the caller stops it with Stop (in TestMain, say).
func StartDetached(t testing.TB, miningAddr btcutil.Address) *Node {
	t.Helper()
	dir, err := os.MkdirTemp("", "regtest-btcd-")
	if err != nil {
		t.Fatalf("regtest: %v", err)
	}
	n := startRetry(t, miningAddr, dir)
	n.removeDir = true
	return n
}

func startRetry(t testing.TB, miningAddr btcutil.Address, dir string) *Node {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		sub := filepath.Join(dir, fmt.Sprint(attempt))
		n, err := start(bin, miningAddr, sub)
		if err == nil {
			return n
		}
		lastErr = err
	}
	t.Fatalf("regtest: starting btcd: %v", lastErr)
	return nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func start(bin string, miningAddr btcutil.Address, dir string) (*Node, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	rpcAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	p2pAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "btcd.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	n := &Node{
		Params:  &chaincfg.RegressionNetParams,
		RPCAddr: rpcAddr,
		User:    "hardfolio",
		Pass:    "regtest-only",
		dir:     dir,
		exited:  make(chan struct{}),
		hc:      &http.Client{Timeout: 60 * time.Second},
	}
	args := []string{
		"--regtest",
		"--configfile=" + conf,
		"--datadir=" + filepath.Join(dir, "data"),
		"--logdir=" + filepath.Join(dir, "logs"),
		"--rpcuser=" + n.User,
		"--rpcpass=" + n.Pass,
		"--rpclisten=" + rpcAddr,
		"--listen=" + p2pAddr,
		"--notls",
		"--nodnsseed",
		"--maxpeers=0", // no outbound connection attempts, no inbound peers
		"--txindex",
		"--miningaddr=" + miningAddr.EncodeAddress(),
		"--debuglevel=info",
	}
	n.cmd = exec.Command(bin, args...)
	var stderr bytes.Buffer
	n.cmd.Stdout = &stderr
	n.cmd.Stderr = &stderr
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		n.cmd.Wait()
		close(n.exited)
	}()

	// Wait for the RPC server.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := n.Call("getblockcount"); err == nil {
			return n, nil
		}
		select {
		case <-n.exited:
			return nil, fmt.Errorf("btcd exited: %s%s", stderr.String(), n.logTail(20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.Stop()
			return nil, fmt.Errorf("btcd RPC did not come up in 30 s:\n%s", n.logTail(20))
		}
	}
}

// Stop interrupts btcd, waits for it, and kills it if it lingers. A
// detached node's data directory is removed.
func (n *Node) Stop() {
	select {
	case <-n.exited:
	default:
		n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.exited:
		case <-time.After(15 * time.Second):
			n.cmd.Process.Kill()
			<-n.exited
		}
	}
	if n.removeDir {
		os.RemoveAll(filepath.Dir(n.dir))
	}
}

func (n *Node) logTail(lines int) string {
	f, err := os.Open(filepath.Join(n.dir, "logs", "regtest", "btcd.log"))
	if err != nil {
		return ""
	}
	defer f.Close()
	var all []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		all = append(all, s.Text())
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// RPCError is an error object in a JSON-RPC reply.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// Call makes one JSON-RPC call and returns its result.
func (n *Node) Call(method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": n.id.Add(1), "method": method, "params": params})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, n.URL(), bytes.NewReader(body))
	req.SetBasicAuth(n.User, n.Pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var reply struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return nil, fmt.Errorf("%s: HTTP %s: %v", method, resp.Status, err)
	}
	if reply.Error != nil {
		return nil, fmt.Errorf("%s: %w", method, reply.Error)
	}
	return reply.Result, nil
}

// MustCall is Call that fails the test on error and decodes the result
// into out (when not nil).
func (n *Node) MustCall(t testing.TB, out any, method string, params ...any) {
	t.Helper()
	res, err := n.Call(method, params...)
	if err != nil {
		t.Fatalf("regtest: %v", err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			t.Fatalf("regtest: %s: decoding %s: %v", method, res, err)
		}
	}
}

// Mine mines count blocks to the mining address and returns their hashes.
func (n *Node) Mine(t testing.TB, count int) []chainhash.Hash {
	t.Helper()
	var ids []string
	n.MustCall(t, &ids, "generate", count)
	hashes := make([]chainhash.Hash, len(ids))
	for i, s := range ids {
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			t.Fatalf("regtest: generate: %v", err)
		}
		hashes[i] = *h
	}
	return hashes
}

// Height returns the height of the best block.
func (n *Node) Height(t testing.TB) int32 {
	t.Helper()
	var h int32
	n.MustCall(t, &h, "getblockcount")
	return h
}

// SendRaw broadcasts tx and returns its id.
func (n *Node) SendRaw(t testing.TB, tx *wire.MsgTx) chainhash.Hash {
	t.Helper()
	var buf bytes.Buffer
	tx.Serialize(&buf)
	var id string
	n.MustCall(t, &id, "sendrawtransaction", hex.EncodeToString(buf.Bytes()))
	h, err := chainhash.NewHashFromStr(id)
	if err != nil {
		t.Fatalf("regtest: sendrawtransaction: %v", err)
	}
	if *h != tx.TxHash() {
		t.Fatalf("regtest: sendrawtransaction returned %s for %s", h, tx.TxHash())
	}
	return *h
}

// Block returns the block at height h of the best chain.
func (n *Node) Block(t testing.TB, h int32) *wire.MsgBlock {
	t.Helper()
	var hash, raw string
	n.MustCall(t, &hash, "getblockhash", h)
	n.MustCall(t, &raw, "getblock", hash, 0)
	b, err := hex.DecodeString(raw)
	if err != nil {
		t.Fatalf("regtest: getblock: %v", err)
	}
	var blk wire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(b)); err != nil {
		t.Fatalf("regtest: getblock: %v", err)
	}
	return &blk
}

// Blocks returns the best chain, Blocks[h] being the block at height h.
func (n *Node) Blocks(t testing.TB) []*wire.MsgBlock {
	t.Helper()
	tip := n.Height(t)
	blocks := make([]*wire.MsgBlock, tip+1)
	for h := int32(0); h <= tip; h++ {
		blocks[h] = n.Block(t, h)
	}
	return blocks
}

// Tx returns a transaction by id (the node has the transaction index).
func (n *Node) Tx(t testing.TB, id chainhash.Hash) *wire.MsgTx {
	t.Helper()
	var raw string
	n.MustCall(t, &raw, "getrawtransaction", id.String(), 0)
	b, err := hex.DecodeString(raw)
	if err != nil {
		t.Fatalf("regtest: getrawtransaction: %v", err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(b)); err != nil {
		t.Fatalf("regtest: getrawtransaction: %v", err)
	}
	return &tx
}

// Mempool returns the node's unconfirmed transactions, parents before
// children.
func (n *Node) Mempool(t testing.TB) []*wire.MsgTx {
	t.Helper()
	var ids []string
	n.MustCall(t, &ids, "getrawmempool")
	byID := make(map[chainhash.Hash]*wire.MsgTx)
	var order []chainhash.Hash
	for _, s := range ids {
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			t.Fatalf("regtest: getrawmempool: %v", err)
		}
		byID[*h] = n.Tx(t, *h)
		order = append(order, *h)
	}
	// Topological order: a transaction after the mempool parents it spends.
	var out []*wire.MsgTx
	done := make(map[chainhash.Hash]bool)
	var visit func(id chainhash.Hash)
	visit = func(id chainhash.Hash) {
		if done[id] {
			return
		}
		done[id] = true
		tx := byID[id]
		for _, in := range tx.TxIn {
			if _, ok := byID[in.PreviousOutPoint.Hash]; ok {
				visit(in.PreviousOutPoint.Hash)
			}
		}
		out = append(out, tx)
	}
	for _, id := range order {
		visit(id)
	}
	return out
}
