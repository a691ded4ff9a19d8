package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/labels"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// openLabels opens the BIP 329 label store of wallet id.
func openLabels(id string) (*labels.Store, error) {
	path, err := labels.DefaultPath(id)
	if err != nil {
		return nil, err
	}
	return labels.Open(path)
}

// parseRecipient reads ADDR:SATS.
func parseRecipient(s string) (wallet.Recipient, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return wallet.Recipient{}, fmt.Errorf("--to %q: want ADDRESS:SATS", s)
	}
	sats, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || sats <= 0 {
		return wallet.Recipient{}, fmt.Errorf("--to %q: %q is not a positive amount in satoshis", s, s[i+1:])
	}
	return wallet.Recipient{Address: s[:i], Sats: sats}, nil
}

// parseOutPoint reads TXID:N.
func parseOutPoint(s string) (wire.OutPoint, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return wire.OutPoint{}, fmt.Errorf("--utxo %q: want TXID:N", s)
	}
	h, err := chainhash.NewHashFromStr(s[:i])
	if err != nil || len(s[:i]) != 64 {
		return wire.OutPoint{}, fmt.Errorf("--utxo %q: %q is not a transaction id", s, s[:i])
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return wire.OutPoint{}, fmt.Errorf("--utxo %q: %q is not an output index", s, s[i+1:])
	}
	return wire.OutPoint{Hash: *h, Index: uint32(n)}, nil
}

// ---- send ----

// sendJSON is what "wallet send --json" writes.
type sendJSON struct {
	Wallet      string  `json:"wallet"`
	File        string  `json:"file"`
	TxID        string  `json:"txid"`
	FeeSats     int64   `json:"fee_sats"`
	VSize       int64   `json:"vsize"`
	SentSats    int64   `json:"sent_sats"`
	Inputs      int     `json:"inputs"`
	ChangeSats  int64   `json:"change_sats"`
	Signed      bool    `json:"signed"`
	Signatures  int     `json:"signatures_added"`
	Complete    bool    `json:"complete"`
	Broadcast   bool    `json:"broadcast"`
	Device      *string `json:"device"`
	DeviceModel *string `json:"device_model"`
}

func newWalletSendCmd(g *globals) *cobra.Command {
	var to, utxos []string
	var feeRate float64
	var allowHighFee, binary, unconfirmed, noRBF, broadcast, asJSON bool
	var out, signWith string
	cmd := &cobra.Command{
		Use:   "send ID --to ADDR:SATS... [--fee-rate R] -o FILE.psbt",
		Short: "Write an unsigned PSBT paying addresses from a wallet",
		Long: `Build a transaction from the wallet's last sync and write it as an unsigned
PSBT, with everything a hardware wallet needs to check and sign it (previous
transactions, derivation paths, change path). Nothing is broadcast: sign the
PSBT on the device, then use "wallet broadcast".

Coins are chosen largest first among confirmed outputs, or exactly those
given with --utxo; outputs frozen in the wallet's labels are never spent.
Without --fee-rate the backend's estimate for 6 blocks is used. A fee above
10% of the amount or above 1000 sat/vB is refused unless --allow-high-fee.`,
		Example:           `  hardfolio wallet send cold --to bc1q...:150000 --fee-rate 4 -o pay.psbt`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeWalletIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if len(to) == 0 {
				return errors.New("--to is required: ADDRESS:SATS, once per recipient")
			}
			if out == "" {
				return errors.New("-o is required: the file to write the PSBT to")
			}
			if broadcast && signWith == "" {
				return errors.New("--broadcast needs --sign-with: only a signed transaction can be broadcast")
			}
			req := wallet.Request{FeeRate: feeRate, AllowHighFee: allowHighFee, IncludeUnconfirmed: unconfirmed, NoRBF: noRBF}
			for _, s := range to {
				r, err := parseRecipient(s)
				if err != nil {
					return err
				}
				req.Recipients = append(req.Recipients, r)
			}
			for _, s := range utxos {
				op, err := parseOutPoint(s)
				if err != nil {
					return err
				}
				req.Inputs = append(req.Inputs, op)
			}
			cfg, st, err := g.cachedState(cmd, id)
			if err != nil {
				return err
			}
			for _, r := range req.Recipients {
				if _, err := wallet.DecodeAddress(r.Address, st.Wallet().Net()); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
			}
			if s, err := openLabels(id); err == nil {
				req.Frozen = s.Frozen()
			} else {
				return fmt.Errorf("wallet %q: labels: %w", id, err)
			}
			if !cmd.Flags().Changed("fee-rate") {
				ctx, cancel := signalContext(cmd)
				defer cancel()
				src, err := service.Connect(ctx, cfg)
				if err != nil {
					return fmt.Errorf("%w (or give --fee-rate)", err)
				}
				req.FeeRate, err = src.FeeRate(ctx, 6)
				src.Close()
				if err != nil {
					return fmt.Errorf("wallet %q: fee estimate: %w (give --fee-rate)", id, err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: fee rate %.1f sat/vB (the backend's estimate for 6 blocks)\n", req.FeeRate)
			}
			d, err := wallet.BuildPSBT(st, req)
			if err != nil {
				if errors.Is(err, wallet.ErrHighFee) {
					return fmt.Errorf("wallet %q: %w (give --allow-high-fee if it is meant)", id, err)
				}
				return fmt.Errorf("wallet %q: %w", id, err)
			}
			format := wallet.Base64
			if binary {
				format = wallet.Binary
			}
			res := sendJSON{Wallet: id, File: out, TxID: d.Packet.UnsignedTx.TxHash().String(), FeeSats: d.Fee, VSize: d.VSize,
				SentSats: d.Sent, Inputs: len(d.Inputs)}
			if d.ChangeOutput >= 0 {
				res.ChangeSats = d.Packet.UnsignedTx.TxOut[d.ChangeOutput].Value
			}
			w := cmd.OutOrStdout()
			info := cmd.ErrOrStderr()
			if asJSON {
				info = io.Discard
			}
			if signWith == "" {
				if err := wallet.WritePSBTFile(out, d.Packet, format); err != nil {
					return err
				}
				if asJSON {
					return writeJSON(w, res)
				}
				fmt.Fprintf(w, "wrote unsigned PSBT to %s\n", out)
				printDraft(w, d)
				return nil
			}

			printDraft(info, d)
			return g.signOnDevice(cmd, signJob{cfg: cfg, w: st.Wallet(), uri: signWith, pkt: d.Packet, out: out,
				format: format, broadcast: broadcast, asJSON: asJSON, res: &res})
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&to, "to", nil, "recipient ADDRESS:SATS (repeat for several)")
	fs.Float64Var(&feeRate, "fee-rate", 0, "fee rate in sat/vB (default: the backend's estimate)")
	fs.StringArrayVar(&utxos, "utxo", nil, "spend exactly these outputs, TXID:N (repeat)")
	fs.BoolVar(&unconfirmed, "include-unconfirmed", false, "let coin selection spend unconfirmed outputs")
	fs.BoolVar(&noRBF, "no-rbf", false, "do not signal replaceability (BIP 125)")
	fs.BoolVar(&allowHighFee, "allow-high-fee", false, "lift the guards against a fee above 10% of the amount or 1000 sat/vB")
	fs.StringVarP(&out, "output", "o", "", "file to write the PSBT to")
	fs.BoolVar(&binary, "binary", false, "write binary PSBT instead of base64 text")
	fs.StringVar(&signWith, "sign-with", "", "sign on the device at this URI ("+deviceURIForms+") and write the signed PSBT")
	fs.BoolVar(&broadcast, "broadcast", false, "with --sign-with: broadcast the signed transaction through the wallet's backend")
	fs.BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

// signJob is a PSBT to sign on a device for a wallet, and what to do with
// the result.
type signJob struct {
	cfg       portfolio.WalletConfig
	w         *wallet.Wallet
	uri       string // the device
	pkt       *psbt.Packet
	out       string // where the signed PSBT goes
	format    wallet.Format
	broadcast bool
	asJSON    bool
	res       *sendJSON // filled in and written with --json
}

// signOnDevice signs j.pkt on the device at j.uri with the wallet's keys
// (for a multisig wallet, its registration on that device), checks and
// finalizes the result; writes the signed PSBT (finalized when complete)
// to j.out; and broadcasts it when asked and complete. A multisig PSBT
// still short of signatures is written for the next cosigner.
func (g *globals) signOnDevice(cmd *cobra.Command, j signJob) error {
	w := cmd.OutOrStdout()
	info := cmd.ErrOrStderr()
	if j.asJSON {
		info = io.Discard
	}
	res := j.res
	dev, ctx, done, err := openDevice(cmd, j.uri, 0)
	if err != nil {
		return err
	}
	defer done()
	dinfo, _ := dev.Info(ctx) // what is known, for the prompt
	res.Device, res.DeviceModel = &dinfo.Vendor, &dinfo.Model
	signer, err := g.walletSigner(ctx, dev, j.w, j.pkt)
	if err != nil {
		return hwErr(err)
	}
	fmt.Fprintf(info, "hardfolio: check each output and the fee on your %s, and approve\n", dinfo.Vendor)
	signed, err := service.SignWith(ctx, signer, j.pkt)
	done()
	if err != nil {
		return hwErr(err)
	}
	res.Signed, res.Signatures, res.Complete = true, signed.Added, signed.Complete
	if signed.Complete {
		res.TxID = signed.Tx.TxHash().String() // legacy inputs change the id
	}
	keep := signed.Packet
	if signed.Complete {
		keep = signed.Final
	}
	if err := wallet.WritePSBTFile(j.out, keep, j.format); err != nil {
		return err
	}
	if !signed.Complete {
		fmt.Fprintf(info, "hardfolio: signed %d inputs; the transaction needs more signatures (%v)\n", signed.Added, signed.Pending)
		if j.broadcast {
			return fmt.Errorf("not broadcast: the transaction is not fully signed; the signed PSBT is in %s", j.out)
		}
	}
	if j.broadcast && signed.Complete {
		bctx, cancel := signalContext(cmd)
		defer cancel()
		txid, err := service.Broadcast(bctx, j.cfg, signed.Tx)
		if err != nil {
			return fmt.Errorf("%w (the signed PSBT is in %s)", err, j.out)
		}
		res.Broadcast, res.TxID = true, txid.String()
	}
	if j.asJSON {
		return writeJSON(w, res)
	}
	switch {
	case res.Broadcast:
		fmt.Fprintf(w, "signed and broadcast %s; the signed PSBT is in %s\n", res.TxID, j.out)
	case signed.Complete:
		fmt.Fprintf(w, "signed %s (fee %d sat); wrote it to %s: hardfolio wallet broadcast %s %s sends it\n", res.TxID, signed.Fee, j.out, j.cfg.ID, j.out)
	case j.w.IsMultisig():
		fmt.Fprintf(w, "signed %d inputs; wrote the PSBT to %s: the next cosigner signs it with hardfolio wallet sign %s %s --sign-with URI\n",
			signed.Added, j.out, j.cfg.ID, j.out)
	default:
		fmt.Fprintf(w, "signed %d inputs; wrote the PSBT to %s for the other signers\n", signed.Added, j.out)
	}
	return nil
}

// ---- sign ----

func newWalletSignCmd(g *globals) *cobra.Command {
	var out, signWith string
	var broadcast, asJSON bool
	cmd := &cobra.Command{
		Use:   "sign ID FILE.psbt --sign-with URI [-o OUT] [--broadcast]",
		Short: "Sign a wallet's PSBT on a device: the next cosigner's turn",
		Long: `Sign a PSBT of the wallet on the device at URI and write it to OUT (default
FILE.signed.psbt), in FILE's format. For a multisig wallet this is each
cosigner's turn: the device signs with the wallet's registration on it
(see "hw register"), the signatures already in the PSBT are kept, and
once the threshold is reached the PSBT is finalized, checked with the
script engine and, with --broadcast, sent through the wallet's backend.`,
		Example: `  hardfolio wallet send vault --to bc1q...:150000 -o pay.psbt --sign-with hid:1-2:1.0
  hardfolio wallet sign vault pay.psbt --sign-with hid:1-3:1.0 --broadcast`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: g.completeWalletIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, in := args[0], args[1]
			if signWith == "" {
				return errors.New("--sign-with is required: the device URI (see hardfolio hw list)")
			}
			cfg, err := g.walletConfig(cmd, id)
			if err != nil {
				return err
			}
			w, err := service.Open(cfg)
			if err != nil {
				return err
			}
			p, format, err := readPSBTFormat(in)
			if err != nil {
				return err
			}
			if out == "" {
				out = wallet.SignedPSBTPath(in)
			}
			if err := wallet.Finalize(clonePSBT(p)); err == nil {
				return fmt.Errorf("%s: every input is signed already: hardfolio wallet broadcast %s %s sends it", in, id, in)
			}
			res := sendJSON{Wallet: id, File: out, TxID: p.UnsignedTx.TxHash().String(), FeeSats: -1, Inputs: len(p.Inputs)}
			if j := describePSBT(p, w.Net()); j.FeeSats != nil {
				res.FeeSats = *j.FeeSats
			}
			return g.signOnDevice(cmd, signJob{cfg: cfg, w: w, uri: signWith, pkt: p, out: out,
				format: format, broadcast: broadcast, asJSON: asJSON, res: &res})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&signWith, "sign-with", "", "the device to sign on, by URI: "+deviceURIForms)
	fs.StringVarP(&out, "output", "o", "", "file to write the signed PSBT to (default FILE.signed.psbt)")
	fs.BoolVar(&broadcast, "broadcast", false, "broadcast through the wallet's backend once fully signed")
	fs.BoolVar(&asJSON, "json", false, "write JSON (the keys of wallet send --json)")
	return cmd
}

// clonePSBT copies a packet through its serialization.
func clonePSBT(p *psbt.Packet) *psbt.Packet {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		return p
	}
	c, err := psbt.NewFromRawBytes(&b, false)
	if err != nil {
		return p
	}
	return c
}

// printDraft says what a built PSBT spends and pays.
func printDraft(w io.Writer, d *wallet.Draft) {
	fmt.Fprintf(w, "send %s BTC, fee %d sat (%d vB, %.1f sat/vB), %d inputs", btcString(d.Sent), d.Fee, d.VSize, float64(d.Fee)/float64(d.VSize), len(d.Inputs))
	if d.ChangeOutput >= 0 {
		fmt.Fprintf(w, ", change %s BTC to %s", btcString(d.Packet.UnsignedTx.TxOut[d.ChangeOutput].Value), d.Change.Address)
	}
	fmt.Fprintln(w)
}

// ---- psbt show, finalize, combine ----

func newWalletPSBTCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "psbt",
		Short: "Inspect, finalize and combine PSBT files",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newPSBTShowCmd(), newPSBTFinalizeCmd(), newPSBTCombineCmd())
	return cmd
}

type psbtInputJSON struct {
	OutPoint   string `json:"outpoint"`
	Sats       *int64 `json:"sats"`
	Signatures int    `json:"signatures"`
	Final      bool   `json:"final"`
}

type psbtOutputJSON struct {
	Address string `json:"address"`
	Sats    int64  `json:"sats"`
	Change  bool   `json:"change"`
}

type psbtJSON struct {
	TxID     string           `json:"txid"`
	Inputs   []psbtInputJSON  `json:"inputs"`
	Outputs  []psbtOutputJSON `json:"outputs"`
	FeeSats  *int64           `json:"fee_sats"`
	Complete bool             `json:"complete"`
}

func describePSBT(p *psbt.Packet, net descriptor.Network) psbtJSON {
	j := psbtJSON{TxID: p.UnsignedTx.TxHash().String(), Inputs: []psbtInputJSON{}, Outputs: []psbtOutputJSON{}, Complete: true}
	var in, out int64
	known := true
	for i, ti := range p.UnsignedTx.TxIn {
		pi := p.Inputs[i]
		e := psbtInputJSON{OutPoint: ti.PreviousOutPoint.String(), Final: pi.FinalScriptSig != nil || pi.FinalScriptWitness != nil}
		e.Signatures = len(pi.PartialSigs)
		if pi.TaprootKeySpendSig != nil {
			e.Signatures++
		}
		switch {
		case pi.WitnessUtxo != nil:
			e.Sats = ptr(pi.WitnessUtxo.Value)
		case pi.NonWitnessUtxo != nil && int(ti.PreviousOutPoint.Index) < len(pi.NonWitnessUtxo.TxOut):
			e.Sats = ptr(pi.NonWitnessUtxo.TxOut[ti.PreviousOutPoint.Index].Value)
		}
		if e.Sats == nil {
			known = false
		} else {
			in += *e.Sats
		}
		if !e.Final {
			j.Complete = false
		}
		j.Inputs = append(j.Inputs, e)
	}
	for i, o := range p.UnsignedTx.TxOut {
		addr := hex.EncodeToString(o.PkScript)
		if _, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, net.Params()); err == nil && len(addrs) == 1 {
			addr = addrs[0].EncodeAddress()
		}
		change := i < len(p.Outputs) && (len(p.Outputs[i].Bip32Derivation) > 0 || len(p.Outputs[i].TaprootBip32Derivation) > 0)
		j.Outputs = append(j.Outputs, psbtOutputJSON{Address: addr, Sats: o.Value, Change: change})
		out += o.Value
	}
	if known {
		j.FeeSats = ptr(in - out)
	}
	return j
}

func newPSBTShowCmd() *cobra.Command {
	var network string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show what a PSBT spends and pays, and how far it is signed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := descriptor.ParseNetwork(network)
			if err != nil {
				return fmt.Errorf("--network: %w", err)
			}
			p, err := wallet.ReadPSBTFile(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			j := describePSBT(p, n)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), j)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "transaction %s\n\n", j.TxID)
			t := newTable("INPUT", "BTC", "SIGNATURES", "FINAL").alignRight(1, 2)
			for _, in := range j.Inputs {
				v, final := "?", "no"
				if in.Sats != nil {
					v = btcString(*in.Sats)
				}
				if in.Final {
					final = "yes"
				}
				t.add(in.OutPoint, v, fmt.Sprint(in.Signatures), final)
			}
			t.write(w, "")
			fmt.Fprintln(w)
			t = newTable("OUTPUT", "BTC", "").alignRight(1)
			for _, o := range j.Outputs {
				note := ""
				if o.Change {
					note = "change"
				}
				t.add(o.Address, btcString(o.Sats), note)
			}
			t.write(w, "")
			fee := "unknown"
			if j.FeeSats != nil {
				fee = fmt.Sprintf("%d sat", *j.FeeSats)
			}
			state := "not fully signed"
			if j.Complete {
				state = "finalized, ready to broadcast"
			}
			fmt.Fprintf(w, "\nfee %s; %s\n", fee, state)
			return nil
		},
	}
	cmd.Flags().StringVar(&network, "network", "mainnet", "network the addresses are shown for")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON (keys in docs/cli.md)")
	return cmd
}

func newPSBTFinalizeCmd() *cobra.Command {
	var out, txOut string
	var binary bool
	cmd := &cobra.Command{
		Use:   "finalize FILE [-o OUT] [--tx TX.hex]",
		Short: "Finalize a signed PSBT and check its signatures",
		Long: `Finalize every signed input of a PSBT, check the whole transaction with the
script engine, and write the finalized PSBT back (or to -o). --tx also
writes the signed transaction as hex.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := wallet.ReadPSBTFile(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if err := wallet.Finalize(p); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			tx, err := wallet.Extract(p)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if out == "" {
				out = args[0]
			}
			format := wallet.Base64
			if binary {
				format = wallet.Binary
			}
			if err := wallet.WritePSBTFile(out, p, format); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "finalized %s: transaction %s\n", out, tx.TxHash())
			if txOut != "" {
				var buf bytes.Buffer
				if err := tx.Serialize(&buf); err != nil {
					return err
				}
				if err := os.WriteFile(txOut, []byte(hex.EncodeToString(buf.Bytes())+"\n"), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote the transaction to %s\n", txOut)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the finalized PSBT here instead of over FILE")
	cmd.Flags().StringVar(&txOut, "tx", "", "also write the signed transaction, as hex, to this file")
	cmd.Flags().BoolVar(&binary, "binary", false, "write binary PSBT instead of base64 text")
	return cmd
}

func newPSBTCombineCmd() *cobra.Command {
	var out string
	var binary bool
	cmd := &cobra.Command{
		Use:   "combine FILE... -o OUT",
		Short: "Combine PSBTs of one transaction signed by different devices",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("-o is required: the file to write the combined PSBT to")
			}
			var ps []*psbt.Packet
			for _, f := range args {
				p, err := wallet.ReadPSBTFile(f)
				if err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				ps = append(ps, p)
			}
			c, err := wallet.Combine(ps...)
			if err != nil {
				return err
			}
			format := wallet.Base64
			if binary {
				format = wallet.Binary
			}
			if err := wallet.WritePSBTFile(out, c, format); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "combined %d PSBTs into %s\n", len(ps), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write the combined PSBT to")
	cmd.Flags().BoolVar(&binary, "binary", false, "write binary PSBT instead of base64 text")
	return cmd
}

// ---- broadcast ----

// readSignedTx reads a finalized (or fully signed) PSBT, or a raw
// transaction in hex.
func readSignedTx(path string) (*wire.MsgTx, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if p, perr := wallet.ParsePSBT(data); perr == nil {
		if err := wallet.Finalize(p); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		tx, err := wallet.Extract(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return tx, nil
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: neither a PSBT nor a transaction in hex", path)
	}
	tx := wire.NewMsgTx(2)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("%s: not a valid transaction: %w", path, err)
	}
	return tx, nil
}

func newWalletBroadcastCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "broadcast ID FILE.psbt|FILE.hex",
		Short: "Broadcast a signed transaction through the wallet's backend",
		Long: `Broadcast a signed transaction through the wallet's backend: a signed PSBT
(finalized here if needed, and checked with the script engine) or a raw
transaction in hex.`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: g.completeWalletIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.walletConfig(cmd, args[0])
			if err != nil {
				return err
			}
			tx, err := readSignedTx(args[1])
			if err != nil {
				return err
			}
			ctx, cancel := signalContext(cmd)
			defer cancel()
			id, err := service.Broadcast(ctx, cfg, tx)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "broadcast %s\n", id)
			return nil
		},
	}
	return cmd
}

// ---- labels ----

func newWalletLabelsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "labels",
		Short: "Import and export a wallet's labels (BIP 329)",
		Args:  cobra.NoArgs,
	}
	imp := &cobra.Command{
		Use:   "import ID FILE",
		Short: "Merge a BIP 329 label file into a wallet's labels",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := g.walletConfig(cmd, args[0]); err != nil {
				return err
			}
			s, err := openLabels(args[0])
			if err != nil {
				return fmt.Errorf("wallet %q: labels: %w", args[0], err)
			}
			f, err := os.Open(args[1])
			if err != nil {
				return err
			}
			defer f.Close()
			n, warnings, err := s.Import(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[1], err)
			}
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "hardfolio: %s: %s\n", args[1], w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d labels into wallet %s\n", n, args[0])
			return nil
		},
	}
	exp := &cobra.Command{
		Use:   "export ID FILE",
		Short: "Write a wallet's labels as a BIP 329 file ('-' for standard output)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := g.walletConfig(cmd, args[0]); err != nil {
				return err
			}
			s, err := openLabels(args[0])
			if err != nil {
				return fmt.Errorf("wallet %q: labels: %w", args[0], err)
			}
			if args[1] == "-" {
				return s.Export(cmd.OutOrStdout())
			}
			var buf bytes.Buffer
			if err := s.Export(&buf); err != nil {
				return err
			}
			if err := os.WriteFile(args[1], buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d labels to %s\n", len(s.All()), args[1])
			return nil
		},
	}
	imp.ValidArgsFunction = g.completeWalletIDs
	exp.ValidArgsFunction = g.completeWalletIDs
	cmd.AddCommand(imp, exp)
	return cmd
}
