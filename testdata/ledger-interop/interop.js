// Interop check: LedgerHQ's own client for the Bitcoin app (ledger-bitcoin,
// over @ledgerhq/hw-transport-node-speculos) against hardfolio's simulated
// Ledger. Run by .ci/run:
//
//   hardfolio sim ledger --listen 127.0.0.1:PORT &
//   node interop.js PORT path/to/hardfolio
//
// It compares the official client's answers with hardfolio's own (its CLI,
// which derives addresses from the descriptors itself): the master key
// fingerprint, extended public keys at several paths, addresses of every
// default wallet policy, the registration of a multisig policy and its
// address; it signs a PSBT for each script type with the official client and verifies every signature with bitcoinjs-lib and
// tiny-secp256k1; and it counts the APDU exchanges the official client
// needs to sign wpkh10.psbt (10 inputs), which hardfolio's own client
// signs in the Go test TestSignPSBTExchangeCount. Any mismatch exits 1.

'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const SpeculosTransport = require('@ledgerhq/hw-transport-node-speculos').default;
const os = require('os');
const { AppClient, DefaultWalletPolicy, WalletPolicy } = require('ledger-bitcoin');
const bitcoin = require('bitcoinjs-lib');
const ecc = require('tiny-secp256k1');
const { BIP32Factory } = require('bip32');

bitcoin.initEccLib(ecc);
const bip32 = BIP32Factory(ecc);
const network = bitcoin.networks.testnet;

// OURS is the exchanges hardfolio's client needs for wpkh10.psbt
// (TestSignPSBTExchangeCount in hw/sim/ledger).
const OURS = 451;

const port = Number(process.argv[2]);
const hardfolio = process.argv[3];
if (!port || !hardfolio) {
  console.error('usage: node interop.js PORT HARDFOLIO');
  process.exit(2);
}
const uri = `speculos:127.0.0.1:${port}`;

let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  if (ok) {
    console.log(`ok   ${what}`);
  } else {
    console.log(`FAIL ${what}`);
    failures++;
  }
}

function cli(...args) {
  return JSON.parse(execFileSync(hardfolio, args, { encoding: 'utf8' }));
}

// The default policies, as the app names them and hardfolio's descriptors.
const kinds = [
  { name: 'pkh', template: 'pkh(@0/**)', purpose: 44, desc: (k) => `pkh(${k}/<0;1>/*)` },
  { name: 'sh(wpkh)', template: 'sh(wpkh(@0/**))', purpose: 49, desc: (k) => `sh(wpkh(${k}/<0;1>/*))` },
  { name: 'wpkh', template: 'wpkh(@0/**)', purpose: 84, desc: (k) => `wpkh(${k}/<0;1>/*)` },
  { name: 'tr', template: 'tr(@0/**)', purpose: 86, desc: (k) => `tr(${k}/<0;1>/*)` },
];
const paths = ["m/44'/1'/0'", "m/49'/1'/0'", "m/84'/1'/0'", "m/86'/1'/0'", "m/84'/1'/7'", "m/48'/1'/0'/2'", "m/48'/1'/0'/1'"];
const spots = [[0, 0], [0, 5], [1, 3]];

async function main() {
  // hardfolio's answers first: the simulator serves one connection at a
  // time, like Speculos.
  const ours = { fingerprint: cli('hw', 'fingerprint', '--device', uri, '--json').fingerprint, xpubs: {}, addresses: {} };
  for (const p of paths) {
    ours.xpubs[p] = cli('hw', 'xpub', p.replace(/'/g, 'h'), '--device', uri, '--json').xpub;
  }
  for (const k of kinds) {
    const key = `[${ours.fingerprint}/${k.purpose}h/1h/0h]${ours.xpubs[`m/${k.purpose}'/1'/0'`]}`;
    ours.addresses[k.name] = {};
    for (const change of [false, true]) {
      const args = ['wallet', 'addresses', '--descriptor', k.desc(key), '--network', 'testnet', '--count', '6', '--json'];
      if (change) args.push('--change');
      for (const a of cli(...args).addresses) ours.addresses[k.name][`${a.change ? 1 : 0}/${a.index}`] = a.address;
    }
  }

  // A 2-of-2 multisig of two of the device's BIP 48 accounts, registered
  // through hardfolio (kept in a scratch portfolio), and its address 3.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hardfolio-interop-'));
  const msKeys = ["m/48'/1'/0'/2'", "m/48'/1'/0'/1'"].map((p) => `[${ours.fingerprint}${p.slice(1)}]${ours.xpubs[p]}`);
  const msDesc = `wsh(sortedmulti(2,${msKeys.map((k) => k.replace(/'/g, 'h') + '/<0;1>/*').join(',')}))`;
  ours.registration = cli('--data-dir', dataDir, 'hw', 'register', '--device', uri, '--descriptor', msDesc, '--name', 'Interop vault', '--json').registration;
  ours.msAddress = cli('--data-dir', dataDir, 'hw', 'address', '--device', uri, '--descriptor', msDesc, '--index', '3', '--json').address;
  fs.rmSync(dataDir, { recursive: true, force: true });

  const transport = await SpeculosTransport.open({ apduPort: port });
  let exchanges = 0;
  const exchange = transport.exchange.bind(transport);
  transport.exchange = (apdu) => { exchanges++; return exchange(apdu); };
  const app = new AppClient(transport);

  const { name, version } = await app.getAppAndVersion();
  check(name === 'Bitcoin Test', `app ${name} ${version}`);
  const fpr = await app.getMasterFingerprint();
  check(fpr === ours.fingerprint, `fingerprint ${fpr} (hardfolio ${ours.fingerprint})`);
  for (const p of paths) {
    const x = await app.getExtendedPubkey(p, false);
    check(x === ours.xpubs[p], `xpub ${p} ${x.slice(0, 16)}… equals hardfolio's`);
  }

  for (const k of kinds) {
    const acct = `m/${k.purpose}'/1'/0'`;
    const xpub = ours.xpubs[acct];
    const policy = new DefaultWalletPolicy(k.template, `[${fpr}/${k.purpose}'/1'/0']${xpub}`);
    for (const [change, index] of spots) {
      const a = await app.getWalletAddress(policy, null, change, index, false);
      const want = ours.addresses[k.name][`${change}/${index}`];
      check(a === want, `${k.name} address ${change}/${index} ${a} (hardfolio ${want})`);
    }
    await signFor(app, k, fpr, xpub);
  }

  // The same multisig registered with the official client: the same
  // HMAC, and the address its client checks against its own derivation.
  const ms = new WalletPolicy('Interop vault', 'wsh(sortedmulti(2,@0/**,@1/**))', msKeys);
  const [, hmac] = await app.registerWallet(ms);
  check(hmac.toString('hex') === ours.registration, `multisig registration HMAC ${hmac.toString('hex').slice(0, 16)}… equals hardfolio's`);
  const msAddr = await app.getWalletAddress(ms, hmac, 0, 3, false);
  check(msAddr === ours.msAddress, `multisig address 0/3 ${msAddr} (hardfolio ${ours.msAddress})`);

  // The 10-input wpkh PSBT hardfolio's client signs in its own test.
  const ten = fs.readFileSync(path.join(__dirname, 'wpkh10.psbt'), 'utf8').trim();
  const wpkh = kinds[2];
  const policy = new DefaultWalletPolicy(wpkh.template, `[${fpr}/84'/1'/0']${ours.xpubs["m/84'/1'/0'"]}`);
  const before = exchanges;
  const sigs = await app.signPsbt(ten, policy, null);
  const n = exchanges - before;
  check(sigs.length === 10, `wpkh10.psbt: ${sigs.length} signatures`);
  check(verify(bitcoin.Psbt.fromBase64(ten, { network }), sigs, false), 'wpkh10.psbt: every signature verifies');
  console.log(`exchanges LedgerHQ client SIGN_PSBT wpkh10.psbt: ${n}`);
  // hardfolio's client signs it in OURS exchanges, and its Go test fails
  // should that grow past the 451 measured here.
  check(n >= OURS, `LedgerHQ's client needs ${n} exchanges, hardfolio's ${OURS}: hardfolio needs no more`);

  await transport.close();
  console.log(failures === 0 ? `${checks} passed, 0 failed` : `${checks - failures} passed, ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

// signFor builds a PSBT spending receive 0 and change 1 of the account, as
// a wallet would (previous transaction, witness UTXO for segwit, key
// derivations), signs it with the official client and verifies every
// signature, then finalizes and extracts the transaction.
async function signFor(app, k, fpr, xpub) {
  const acct = bip32.fromBase58(xpub, network);
  const coins = [[0, 0], [1, 1]].map(([change, index]) => {
    const node = acct.derive(change).derive(index);
    let payment;
    switch (k.name) {
      case 'pkh': payment = bitcoin.payments.p2pkh({ pubkey: node.publicKey, network }); break;
      case 'sh(wpkh)': payment = bitcoin.payments.p2sh({ redeem: bitcoin.payments.p2wpkh({ pubkey: node.publicKey, network }), network }); break;
      case 'wpkh': payment = bitcoin.payments.p2wpkh({ pubkey: node.publicKey, network }); break;
      default: payment = bitcoin.payments.p2tr({ internalPubkey: node.publicKey.subarray(1), network });
    }
    return { change, index, node, payment };
  });
  const prev = new bitcoin.Transaction();
  prev.version = 2;
  prev.addInput(Buffer.alloc(32, 7), 3);
  coins.forEach((c, i) => prev.addOutput(c.payment.output, 150000 + i));
  const psbt = new bitcoin.Psbt({ network });
  const fp = Buffer.from(fpr, 'hex');
  coins.forEach((c, i) => {
    const pathStr = `m/${k.purpose}'/1'/0'/${c.change}/${c.index}`;
    const input = { hash: prev.getHash(), index: i, sequence: 0xfffffffd, nonWitnessUtxo: prev.toBuffer() };
    if (k.name !== 'pkh') input.witnessUtxo = { script: c.payment.output, value: 150000 + i };
    if (k.name === 'sh(wpkh)') input.redeemScript = c.payment.redeem.output;
    if (k.name === 'tr') {
      input.tapInternalKey = c.node.publicKey.subarray(1);
      input.tapBip32Derivation = [{ masterFingerprint: fp, pubkey: c.node.publicKey.subarray(1), path: pathStr, leafHashes: [] }];
    } else {
      input.bip32Derivation = [{ masterFingerprint: fp, pubkey: c.node.publicKey, path: pathStr }];
    }
    psbt.addInput(input);
  });
  psbt.addOutput({ address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', value: 290000 });
  const policy = new DefaultWalletPolicy(k.template, `[${fpr}/${k.purpose}'/1'/0']${xpub}`);
  const sigs = await app.signPsbt(psbt.toBase64(), policy, null);
  check(sigs.length === 2, `${k.name}: ${sigs.length} signatures for 2 inputs`);
  check(verify(psbt, sigs, k.name === 'tr'), `${k.name}: every signature verifies`);
  try {
    psbt.finalizeAllInputs();
    const tx = psbt.extractTransaction();
    check(tx.ins.length === 2, `${k.name}: the signed transaction finalizes (${tx.getId().slice(0, 16)}…)`);
  } catch (e) {
    check(false, `${k.name}: finalize: ${e.message}`);
  }
}

// verify puts the signatures into the PSBT and has bitcoinjs-lib check
// each against its sighash with tiny-secp256k1.
function verify(psbt, sigs, taproot) {
  try {
    for (const [i, s] of sigs) {
      if (taproot) {
        psbt.updateInput(i, { tapKeySig: s.signature });
      } else {
        psbt.updateInput(i, { partialSig: [{ pubkey: s.pubkey, signature: s.signature }] });
      }
    }
    const validator = (pubkey, msghash, signature) =>
      pubkey.length === 32 ? ecc.verifySchnorr(msghash, pubkey, signature) : ecc.verify(msghash, pubkey, signature);
    return sigs.every(([i]) => psbt.validateSignaturesOfInput(i, validator));
  } catch (e) {
    console.log(`     ${e.message}`);
    return false;
  }
}

main().catch((e) => {
  console.log(`FAIL ${e.stack || e}`);
  process.exit(1);
});
