#!/usr/bin/env node
// Differential test of the `nw` CLI against ethers v6 (pinned in package-lock.json).
//
// Generates random cases from a seeded PRNG: transactions of every type (legacy with and without
// chainId, EIP-2930, EIP-1559, EIP-4844 without blobs, EIP-7702 with authorizations signed by
// ethers), EIP-191 personal messages (text and binary) and EIP-712 typed data (random nested
// struct systems, arrays, every atomic type, edge integers). ethers computes the expected
// outputs; `nw` signs the same cases in batch (--jsonl) and every field must be byte-identical.
// Signed transactions are also fed back to `nw decode-tx` (sender and hash must round-trip).
//
// Usage: node run.mjs --nw PATH [--count N (transactions; default 2000)] [--seed S] [--only tx,msg,typed,auth] [--dump FILE]
//   --dump FILE writes every generated case (input and ethers' expected output) as JSON lines.
// Exit: 0 all equal; 1 a mismatch (the case and both outputs are printed); 2 usage/setup.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, "node_modules", "ethers"))) {
    console.error(`differential: FAILED: ${join(here, "node_modules")} is missing; run scripts/deps ` +
        "(it runs `npm ci` in tests/differential)");
    process.exit(2);
}
const ethers = await import("ethers");
const { Wallet, Transaction, TypedDataEncoder, hashMessage, hashAuthorization, getAddress, hexlify } = ethers;

// ---- arguments -----------------------------------------------------------------------------
const args = { count: 2000, seed: null, nw: null, only: "tx,msg,typed,auth", dump: null };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    const next = () => {
        if (i + 1 >= process.argv.length) usage();
        return process.argv[++i];
    };
    if (a === "--nw") args.nw = next();
    else if (a === "--count") args.count = Number(next());
    else if (a === "--seed") args.seed = Number(next());
    else if (a === "--only") args.only = next();
    else if (a === "--dump") args.dump = next();
    else usage();
}
function usage() {
    console.error("usage: node run.mjs --nw PATH [--count N] [--seed S] [--only tx,msg,typed,auth] [--dump FILE]");
    process.exit(2);
}
if (!args.nw || !Number.isInteger(args.count) || args.count < 1) usage();
if (args.seed === null) args.seed = Date.now() % 4294967296;
if (!Number.isInteger(args.seed) || args.seed < 0 || args.seed >= 4294967296) usage();
const parts = new Set(args.only.split(","));
console.log(`differential: seed ${args.seed} count ${args.count} (rerun with --seed ${args.seed})`);

// ---- seeded PRNG (mulberry32) --------------------------------------------------------------
let state = args.seed >>> 0;
function u32() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
}
const int = (n) => (n <= 1 ? 0 : u32() % n); // [0, n)
const chance = (p) => u32() / 4294967296 < p;
const pick = (arr) => arr[int(arr.length)];
function bytes(n) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = u32() & 0xff;
    return b;
}
const hex = (n) => hexlify(bytes(n));
function bigBits(bits) {
    // uniform over a random bit length in [0, bits]
    const len = int(bits + 1);
    if (len === 0) return 0n;
    let v = 1n;
    for (let i = 1; i < len; i++) v = (v << 1n) | BigInt(u32() & 1);
    return v;
}
const MAX256 = (1n << 256n) - 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
function uintUpTo(max, bits) {
    const edges = [0n, 1n, max, max - 1n, 255n, 256n, SAFE, SAFE + 1n, (1n << 64n) - 1n, 1n << 64n]
        .filter((x) => x >= 0n && x <= max);
    if (chance(0.2)) return pick(edges);
    const v = bigBits(bits);
    return v > max ? max : v;
}

// ---- value spellings for nw ------------------------------------------------------------------
// Integers in the transaction dict: JSON numbers (only when exactly representable) or 0x-hex.
function jsonQuantity(v) {
    if (v <= SAFE && chance(0.5)) return Number(v);
    let h = v.toString(16);
    if (chance(0.05)) h = "00" + h; // leading zeros are allowed in 0x-hex integers
    if (chance(0.05)) h = h.toUpperCase();
    return "0x" + h;
}
// Wei to an exact decimal ether string.
function weiToEther(w) {
    const s = w.toString().padStart(19, "0");
    const ip = s.slice(0, -18).replace(/^0+(?=\d)/, "");
    const fp = s.slice(-18).replace(/0+$/, "");
    return fp ? `${ip}.${fp}` : ip;
}
// A decimal literal (as JS prints numbers, maybe 1e-7 / 1.5e+21) to wei, exactly; null if it
// is not a whole number of wei.
function decimalToWei(text) {
    const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(text);
    if (!m) return null;
    const digits = m[1] + (m[2] || "");
    const exp = 18 - (m[2] || "").length + Number(m[3] || 0);
    if (exp >= 0) return BigInt(digits) * 10n ** BigInt(exp);
    const d = 10n ** BigInt(-exp);
    const n = BigInt(digits);
    return n % d === 0n ? n / d : null;
}
// The request's `value` is in ether (DESIGN.md section 4).
function etherValue(w) {
    const s = weiToEther(w);
    const r = int(10);
    if (r < 3 && !s.includes(".") && w / 10n ** 18n <= SAFE) return Number(s); // whole ether
    if (r < 6) {
        const num = Number(s);
        if (decimalToWei(String(num)) === w) return num; // a float whose shortest form is exact
    }
    return s;
}
function weiValue() {
    switch (int(6)) {
        case 0: return 0n;
        case 1: return MAX256;
        case 2: return BigInt(1 + int(9999)) * 10n ** BigInt(int(19)); // decimal-friendly
        case 3: return BigInt(1 + int(999)) * 10n ** BigInt(10 + int(12));
        default: return uintUpTo(MAX256, 256);
    }
}
const addrOut = (a) => (chance(0.5) ? a : a.toLowerCase());

// ---- transactions ------------------------------------------------------------------------
function dataBytes() {
    const lens = [0, 0, 1, 2, 31, 32, 55, 56, 57, 255, 256, 1024, 4096];
    return hex(chance(0.6) ? pick(lens) : int(600));
}
function accessList() {
    const n = pick([0, 0, 1, 2, 3, 5]);
    const ethersList = [], nwList = [];
    for (let i = 0; i < n; i++) {
        const address = getAddress(hex(20));
        const keys = [];
        const nk = chance(0.2) ? 20 + int(30) : int(4);
        for (let k = 0; k < nk; k++) keys.push(chance(0.1) ? "0x" + "00".repeat(32) : hex(32));
        ethersList.push({ address, storageKeys: keys });
        nwList.push({ address: addrOut(address), storageKeys: keys });
    }
    return { ethersList, nwList };
}
function randomWallet() {
    for (;;) {
        try {
            return new Wallet(hex(32));
        } catch {
            /* zero or >= n: draw again */
        }
    }
}

function genTx(i) {
    const wallet = randomWallet();
    const kinds = ["legacy", "legacy155", "t1", "t2", "t3", "t4"];
    const kind = kinds[i % kinds.length];
    const nw = {};
    const et = {};
    const typeNum = { legacy: 0, legacy155: 0, t1: 1, t2: 2, t3: 3, t4: 4 }[kind];
    et.type = typeNum;
    // type: given as a number, a 0x string, or left for nw to infer (unambiguous cases only)
    const tr = int(10);
    if (tr < 5) nw.type = typeNum;
    else if (tr < 8) nw.type = "0x" + typeNum.toString(16);
    else if (!(kind === "legacy" || kind === "legacy155" || kind === "t2")) nw.type = typeNum;

    if (kind !== "legacy") {
        const cid = chance(0.3) ? pick([1n, 5n, 137n, 1337n, 11155111n, (1n << 32n) - 1n, SAFE, (1n << 64n) - 1n])
            : 1n + uintUpTo((1n << 64n) - 2n, 64);
        et.chainId = cid;
        nw.chainId = jsonQuantity(cid);
    }
    const nonce = chance(0.2) ? pick([0n, 1n, SAFE]) : uintUpTo(SAFE, 53);
    et.nonce = Number(nonce);
    nw.nonce = jsonQuantity(nonce);
    const gas = uintUpTo(MAX256, pick([16, 24, 32, 64, 256]));
    et.gasLimit = gas;
    nw.gas = jsonQuantity(gas);
    if (typeNum <= 1) {
        const gp = uintUpTo(MAX256, pick([0, 32, 40, 64, 256]));
        et.gasPrice = gp;
        nw.gasPrice = jsonQuantity(gp);
    } else {
        const maxFee = uintUpTo(MAX256, pick([0, 32, 40, 64, 256]));
        const prio = maxFee === 0n ? 0n : (chance(0.3) ? maxFee : uintUpTo(maxFee, 256) % (maxFee + 1n));
        et.maxFeePerGas = maxFee;
        et.maxPriorityFeePerGas = prio;
        nw.maxFeePerGas = jsonQuantity(maxFee);
        nw.maxPriorityFeePerGas = jsonQuantity(prio);
    }
    // to: contract creation (absent, null or "") only where the type allows it
    if (typeNum <= 2 && chance(0.2)) {
        const r = int(3);
        if (r === 1) nw.to = null;
        if (r === 2) nw.to = "";
    } else {
        const to = getAddress(hex(20));
        et.to = to;
        nw.to = addrOut(to);
    }
    const wei = weiValue();
    et.value = wei;
    nw.value = etherValue(wei);
    const data = dataBytes();
    et.data = data;
    if (data !== "0x" || chance(0.5)) nw.data = data;
    if (typeNum >= 1) {
        const { ethersList, nwList } = accessList();
        et.accessList = ethersList;
        if (nwList.length > 0 || chance(0.5)) nw.accessList = nwList;
    }
    if (typeNum === 3) {
        const fee = uintUpTo(MAX256, pick([0, 32, 64, 256]));
        et.maxFeePerBlobGas = fee;
        nw.maxFeePerBlobGas = jsonQuantity(fee);
        const n = 1 + int(6);
        const hs = [];
        for (let k = 0; k < n; k++) hs.push("0x01" + hex(31).slice(2));
        et.blobVersionedHashes = hs;
        nw.blobVersionedHashes = hs;
    }
    if (typeNum === 4) {
        const n = 1 + int(4);
        const auths = [], nwAuths = [];
        for (let k = 0; k < n; k++) {
            const signer = chance(0.5) ? wallet : randomWallet();
            const a = signer.authorizeSync({
                address: getAddress(hex(20)),
                chainId: chance(0.3) ? 0n : uintUpTo((1n << 64n) - 1n, 64),
                nonce: uintUpTo((1n << 64n) - 1n, 64),
            });
            auths.push(a);
            nwAuths.push({
                chainId: jsonQuantity(a.chainId), address: addrOut(a.address), nonce: jsonQuantity(a.nonce),
                yParity: a.signature.yParity, r: a.signature.r, s: a.signature.s,
            });
        }
        et.authorizationList = auths;
        nw.authorizationList = nwAuths;
    }
    // No recipient and no data: ethers signs an empty contract creation that burns the value;
    // nw refuses it on purpose (issue 13, tx_missing_to).
    if (et.to === undefined && data === "0x")
        return {
            input: { key: wallet.privateKey, tx: nw },
            expected: { error: "nw refuses a creation without code", code: "tx_missing_to" },
        };
    const tx = Transaction.from(et);
    tx.signature = wallet.signingKey.sign(tx.unsignedHash);
    return {
        input: { key: wallet.privateKey, tx: nw },
        expected: { transaction_signed: tx.serialized, transaction_hash: tx.hash, address: wallet.address },
    };
}

// ---- personal messages ---------------------------------------------------------------------
const RANGES = [[0x20, 0x7e], [0x00, 0x1f], [0xa0, 0x7ff], [0x800, 0xd7ff], [0xe000, 0xfffd], [0x10000, 0x10ffff]];
function text(maxLen) {
    const n = chance(0.1) ? 0 : int(maxLen + 1);
    let s = "";
    for (let i = 0; i < n; i++) {
        const [lo, hi] = chance(0.7) ? RANGES[0] : pick(RANGES);
        s += String.fromCodePoint(lo + int(hi - lo + 1));
    }
    return s;
}
function genMsg(i) {
    const wallet = randomWallet();
    let input, msgForEthers;
    switch (i % 4) {
        case 0: {
            const t = text(pick([8, 64, 300]));
            input = { key: wallet.privateKey, message: t };
            msgForEthers = t;
            break;
        }
        case 1: { // hex-like text is text
            const t = hex(int(40));
            input = { key: wallet.privateKey, message: t };
            msgForEthers = t;
            break;
        }
        case 2: {
            const b = bytes(pick([0, 1, 32, int(200), 1000 + int(3000)]));
            input = { key: wallet.privateKey, messageHex: hexlify(b) };
            msgForEthers = b;
            break;
        }
        default: {
            const b = bytes(int(64));
            input = { key: wallet.privateKey, messageHex: chance(0.5) ? hexlify(b) : hexlify(b).toUpperCase().replace("0X", "0x") };
            msgForEthers = b;
        }
    }
    return {
        input,
        expected: {
            signature: wallet.signMessageSync(msgForEthers),
            address: wallet.address,
            hash: hashMessage(msgForEthers),
        },
    };
}

// ---- typed data ----------------------------------------------------------------------------
const ATOMIC_NAMES = new Set(["bool", "address", "bytes", "string", "uint", "int"]);
function ident(used) {
    const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$";
    const rest = first + "0123456789";
    for (;;) {
        let s = pick([...first]);
        const n = int(10);
        for (let i = 0; i < n; i++) s += pick([...rest]);
        if (used.has(s) || ATOMIC_NAMES.has(s) || /^(u?int|bytes)\d/.test(s)) continue;
        used.add(s);
        return s;
    }
}
function atomicType() {
    switch (int(9)) {
        case 0: return `uint${8 * (1 + int(32))}`;
        case 1: return `int${8 * (1 + int(32))}`;
        case 2: return `bytes${1 + int(32)}`;
        case 3: return "bool";
        case 4: return "address";
        case 5: return "bytes";
        case 6: return "string";
        case 7: return pick(["uint256", "int256", "uint8", "int8", "bytes32"]);
        default: return pick(["uint", "int", "uint256"]); // ethers reads bare uint/int as 256 bits
    }
}
function intValue(signed, width) {
    const max = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
    const min = signed ? -(1n << BigInt(width - 1)) : 0n;
    let v;
    const r = int(10);
    if (r < 4) v = pick([min, max, 0n, 1n, signed ? -1n : max - 1n, min + 1n]);
    else {
        v = bigBits(width - (signed ? 1 : 0));
        if (v > max) v = max;
        if (signed && chance(0.5)) v = -v;
    }
    // spellings ethers accepts: JS number (safe), decimal string, 0x-hex, -0x-hex
    const f = int(4);
    if (f === 0 && v >= -SAFE && v <= SAFE) return Number(v);
    if (f === 1 || (f === 0)) return v.toString();
    const mag = (v < 0n ? -v : v).toString(16);
    return (v < 0n ? "-0x" : "0x") + (chance(0.2) ? mag.toUpperCase() : mag);
}
function atomicValue(t) {
    let m;
    if ((m = /^(u?)int(\d*)$/.exec(t))) return intValue(m[1] === "", m[2] ? Number(m[2]) : 256);
    if ((m = /^bytes(\d+)$/.exec(t))) return hex(Number(m[1]));
    switch (t) {
        case "bool": return chance(0.5);
        case "address": {
            const a = getAddress(hex(20));
            return pick([a, a.toLowerCase(), "0x" + a.slice(2).toUpperCase(), a.slice(2).toLowerCase()]);
        }
        case "bytes": return hex(pick([0, 1, 20, 32, 33, int(300)]));
        case "string": return text(pick([0, 10, 80]));
    }
    throw new Error("atomic " + t);
}
function genTypes() {
    const used = new Set(["EIP712Domain"]);
    const n = 1 + int(4);
    const names = [];
    for (let i = 0; i < n; i++) names.push(ident(used));
    const types = {};
    for (let i = n - 1; i >= 0; i--) {
        const fieldNames = new Set();
        const fields = [];
        const nf = int(6) + (i === 0 ? 1 : 0);
        for (let k = 0; k < nf; k++) {
            let base = atomicType();
            if (i + 1 < n && chance(0.2)) base = names[i + 1 + int(n - i - 1)];
            fields.push({ name: ident(fieldNames), type: base + arraySuffix() });
        }
        types[names[i]] = fields;
    }
    // every non-primary type needs a parent (ethers requires one primary type)
    for (let j = 1; j < n; j++) {
        const referenced = names.slice(0, j).some((p) => types[p].some((f) => f.type.replace(/\[.*$/, "") === names[j]));
        if (!referenced) {
            const p = names[int(j)];
            const used2 = new Set(types[p].map((f) => f.name));
            types[p].splice(int(types[p].length + 1), 0, { name: ident(used2), type: names[j] + arraySuffix() });
        }
    }
    return { types, primary: names[0] };
}
function arraySuffix() {
    let s = "";
    const dims = chance(0.7) ? 0 : 1 + int(2);
    for (let d = 0; d < dims; d++) s += chance(0.5) ? "[]" : `[${int(4)}]`;
    return s;
}
function value(types, type, depth) {
    const m = /^(.*)\[(\d*)\]$/.exec(type);
    if (m) {
        const n = m[2] === "" ? int(depth > 2 ? 2 : 4) : Number(m[2]);
        const arr = [];
        for (let i = 0; i < n; i++) arr.push(value(types, m[1], depth + 1));
        return arr;
    }
    if (types[type]) {
        const o = {};
        for (const f of types[type]) o[f.name] = value(types, f.type, depth + 1);
        return o;
    }
    return atomicValue(type);
}
const DOMAIN_TYPES = { name: "string", version: "string", chainId: "uint256", verifyingContract: "address", salt: "bytes32" };
// Invalid values ethers refuses, applied to one field of the primary type: nw must refuse too.
// (Where nw is deliberately stricter than ethers, no mutation is generated: extra fields,
// non-boolean or missing bools, "0b"/"0o" integer strings, a missing field-less struct.)
function mutate(types, primary, message) {
    const fields = types[primary];
    if (fields.length === 0) return false;
    const f = pick(fields);
    const t = f.type;
    let m;
    if ((m = /^(.*)\[(\d+)\]$/.exec(t))) {
        message[f.name] = message[f.name].concat([value(types, m[1], 3)]); // one element too many
    } else if ((m = /^(u?)int(\d*)$/.exec(t))) {
        const w = BigInt(m[2] || 256);
        const signed = m[1] === "";
        const v = pick(signed ? [1n << (w - 1n), -(1n << (w - 1n)) - 1n] : [1n << w, -1n]);
        // (not "0b1": BigInt() reads it and so does ethers; nw refuses it on purpose)
        message[f.name] = pick([v.toString(), (v < 0n ? "-0x" : "0x") + (v < 0n ? -v : v).toString(16), "1.5", "", "1e3"]);
    } else if ((m = /^bytes(\d+)$/.exec(t))) {
        message[f.name] = hex(Number(m[1]) === 32 ? 31 : Number(m[1]) + 1);
    } else if (t === "address") {
        const a = getAddress(hex(20));
        const i = a.slice(2).search(/[a-fA-F]/);
        if (i < 0) return false;
        const c = a[2 + i];
        const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        const bad = a.slice(0, 2 + i) + flipped + a.slice(3 + i);
        // only a mixed-case result is a checksum error
        if (!/[a-f]/.test(bad.slice(2)) || !/[A-F]/.test(bad.slice(2))) return false;
        message[f.name] = bad;
    } else if (t === "bytes") {
        message[f.name] = "0x" + "1".repeat(3);
    } else if (t === "bool" || (types[t] && types[t].length === 0)) {
        // ethers signs a missing bool as false (!undefined) and never reads a field-less
        // struct's value; nw refuses both as missing fields
        return false;
    } else {
        delete message[f.name]; // missing field
    }
    return true;
}

function genTyped(i) {
    const wallet = randomWallet();
    const { types, primary } = genTypes();
    const message = value(types, primary, 0);
    const negative = i % 10 === 9 && mutate(types, primary, message);
    const domain = {};
    const domainFields = [];
    for (const k of Object.keys(DOMAIN_TYPES)) {
        if (!chance(0.6)) continue;
        domainFields.push({ name: k, type: DOMAIN_TYPES[k] });
        if (k === "name" || k === "version") domain[k] = text(20);
        else if (k === "chainId") domain[k] = chance(0.5) ? 1 + int(100000) : uintUpTo(MAX256, 256).toString();
        else if (k === "verifyingContract") domain[k] = getAddress(hex(20));
        else domain[k] = hex(32);
    }
    const v4Types = chance(0.9) ? { EIP712Domain: domainFields, ...types } : { ...types };
    const input = { key: wallet.privateKey, typedData: { types: v4Types, primaryType: primary, domain, message } };
    let hash;
    try {
        hash = TypedDataEncoder.hash(domain, types, message);
    } catch (e) {
        if (!negative) throw e;
        return { input, expected: { error: `ethers refuses: ${e.shortMessage || e.message}` } };
    }
    const signature = wallet.signingKey.sign(hash).serialized;
    return { input, expected: { signature, address: wallet.address, hash } };
}

// ---- running nw ----------------------------------------------------------------------------
function runNw(argv, lines) {
    const r = spawnSync(args.nw, argv, { input: lines.join("\n") + "\n", maxBuffer: 1 << 30, encoding: "utf8" });
    if (r.error) {
        console.error(`differential: cannot run ${args.nw}: ${r.error.message}`);
        process.exit(2);
    }
    return r;
}
function hasCommand(cmd) {
    const r = spawnSync(args.nw, [cmd, "--help"], { encoding: "utf8" });
    return r.status === 0;
}
let failures = 0;
function compare(label, cases, argv, fields) {
    if (args.dump) appendFileSync(args.dump, cases.map((c) => JSON.stringify({ kind: label, ...c }) + "\n").join(""));
    const r = runNw(argv, cases.map((c) => JSON.stringify(c.input)));
    const out = r.stdout.split("\n").filter((l) => l.length > 0);
    if (out.length !== cases.length) {
        console.error(`differential: ${label}: nw printed ${out.length} lines for ${cases.length} cases (exit ${r.status})`);
        console.error(r.stderr.slice(0, 2000));
        failures++;
        return;
    }
    let bad = 0;
    for (let i = 0; i < cases.length; i++) {
        let got;
        try {
            got = JSON.parse(out[i]);
        } catch {
            got = { unparsable: out[i] };
        }
        const diff = cases[i].expected.error
            ? (got.error && typeof got.error.code === "string" &&
               (!cases[i].expected.code || got.error.code === cases[i].expected.code) ? [] : ["error"]) // both must refuse
            : fields.filter((f) => got[f] !== cases[i].expected[f]);
        if (diff.length > 0) {
            bad++;
            if (bad <= 5) {
                console.error(`MISMATCH ${label} case ${i} (fields ${diff.join(", ")})`);
                console.error("  case:     " + JSON.stringify(cases[i].input));
                console.error("  ethers:   " + JSON.stringify(cases[i].expected));
                console.error("  nw:       " + out[i]);
            }
        }
    }
    const refused = cases.filter((c) => c.expected.error).length;
    const note = refused > 0 ? ` (${refused} invalid ones refused by both)` : "";
    if (bad > 0) {
        console.error(`differential: ${label}: ${bad} of ${cases.length} cases differ`);
        failures++;
    } else {
        console.log(`differential: ${label}: ${cases.length} cases byte-identical${note}`);
    }
    return out;
}

// Round trip: nw decode-tx must recover the sender and hash of every ethers-signed transaction,
// and every decoded field must equal what ethers parses from the same bytes.
function decodedFieldDiffs(got, raw) {
    const tx = Transaction.from(raw);
    const sig = tx.signature;
    const q = (x) => {
        try {
            return x == null ? null : BigInt(x);
        } catch {
            return "bad";
        }
    };
    const want = {
        type: BigInt(tx.type), nonce: BigInt(tx.nonce), gas: tx.gasLimit, value: tx.value,
        r: BigInt(sig.r), s: BigInt(sig.s), yParity: BigInt(sig.yParity),
        v: tx.type === 0 ? (sig.networkV ?? BigInt(sig.v)) : BigInt(sig.yParity),
    };
    if (tx.type !== 0 || tx.chainId !== 0n) want.chainId = tx.chainId;
    if (tx.type <= 1) want.gasPrice = tx.gasPrice;
    else Object.assign(want, { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas });
    if (tx.type === 3) want.maxFeePerBlobGas = tx.maxFeePerBlobGas;
    const diffs = Object.keys(want).filter((k) => q(got[k]) !== want[k]);
    const same = (k, a, b) => { if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(k); };
    same("to", got.to, tx.to);
    same("data", got.data, tx.data);
    same("hash", got.hash, tx.hash);
    same("signingHash", got.signingHash, tx.unsignedHash);
    same("from", got.from, tx.from);
    if (tx.type >= 1) same("accessList", got.accessList, tx.accessList.map((e) => ({ address: e.address, storageKeys: e.storageKeys })));
    if (tx.type === 3) same("blobVersionedHashes", got.blobVersionedHashes, tx.blobVersionedHashes);
    if (tx.type === 4) {
        const norm = (a) => [a.chainId, a.address, a.nonce, a.yParity, a.r, a.s].map((x, i) => (i === 1 ? x : String(q(x))));
        same("authorizationList", (got.authorizationList || []).map(norm),
            tx.authorizationList.map((a) => norm({ chainId: a.chainId, address: a.address, nonce: a.nonce,
                yParity: a.signature.yParity, r: a.signature.r, s: a.signature.s })));
    }
    return diffs;
}
function decodeRoundTrip(allCases) {
    const cases = allCases.filter((c) => c.expected.transaction_signed !== undefined);
    if (!hasCommand("decode-tx")) {
        console.log("differential: SKIPPED decode-tx round trip: this nw has no decode-tx command");
        return;
    }
    let bad = 0;
    // decode-tx takes one raw transaction per run (0x-hex on stdin)
    const out = cases.map((c) => runNw(["decode-tx"], [c.expected.transaction_signed]).stdout.trim());
    for (let i = 0; i < cases.length; i++) {
        let got = {};
        try {
            got = JSON.parse(out[i] || "{}");
        } catch { /* compared below */ }
        const raw = cases[i].expected.transaction_signed;
        const diffs = decodedFieldDiffs(got, raw);
        if (got.from !== cases[i].expected.address) diffs.push("from (signer)");
        if (diffs.length > 0 && ++bad <= 5) {
            console.error(`MISMATCH decode-tx case ${i} (fields ${diffs.join(", ")})`);
            console.error("  raw:      " + raw.slice(0, 400));
            console.error("  nw:       " + (out[i] || "(no line)").slice(0, 800));
        }
    }
    if (bad > 0) {
        console.error(`differential: decode-tx: ${bad} of ${cases.length} round trips differ`);
        failures++;
    } else {
        console.log(`differential: decode-tx: ${cases.length} round trips recover sender, hash and every field`);
    }
}

// ---- EIP-7702 authorizations (nw sign-authorization, one run per case) ---------------------
function genAuth() {
    const wallet = randomWallet();
    const auth = {
        address: getAddress(hex(20)),
        chainId: chance(0.2) ? 0n : uintUpTo(MAX256, 256),
        nonce: uintUpTo((1n << 64n) - 1n, 64),
    };
    const a = wallet.authorizeSync(auth);
    return {
        input: { key: wallet.privateKey, auth: { chainId: jsonQuantity(auth.chainId), address: addrOut(auth.address), nonce: jsonQuantity(auth.nonce) } },
        expected: {
            chainId: auth.chainId, address: a.address, nonce: auth.nonce, yParity: a.signature.yParity,
            r: BigInt(a.signature.r), s: BigInt(a.signature.s), authorizationHash: hashAuthorization(auth), signer: wallet.address,
        },
    };
}
function compareAuth(cases) {
    if (args.dump) appendFileSync(args.dump, cases.map((c) => JSON.stringify({ kind: "sign-authorization", input: c.input }) + "\n").join(""));
    const dir = mkdtempSync(join(tmpdir(), "nw-diff-"));
    let bad = 0;
    try {
        cases.forEach((c, i) => {
            const keyFile = join(dir, "key");
            writeFileSync(keyFile, c.input.key + "\n", { mode: 0o600 });
            const r = runNw(["sign-authorization", "--key-file", keyFile], [JSON.stringify(c.input.auth)]);
            let got = {};
            try {
                got = JSON.parse(r.stdout);
            } catch { /* compared below */ }
            const e = c.expected;
            const num = (x) => { try { return BigInt(x); } catch { return null; } };
            const ok = num(got.chainId) === e.chainId && got.address === e.address && num(got.nonce) === e.nonce &&
                Number(got.yParity) === e.yParity && num(got.r) === e.r && num(got.s) === e.s &&
                got.authorizationHash === e.authorizationHash && got.signer === e.signer;
            if (!ok && ++bad <= 5) {
                console.error(`MISMATCH sign-authorization case ${i}`);
                console.error("  case:     " + JSON.stringify(c.input));
                console.error("  ethers:   " + JSON.stringify(e, (k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v)));
                console.error("  nw:       " + (r.stdout.trim() || r.stderr.trim()));
            }
        });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    if (bad > 0) {
        console.error(`differential: sign-authorization: ${bad} of ${cases.length} cases differ`);
        failures++;
    } else {
        console.log(`differential: sign-authorization: ${cases.length} cases identical (tuple, hash, signer)`);
    }
}

// --count N is the number of transactions; messages and typed data get N/2 each and
// authorizations (one process per case) N/20. With --only, the named parts keep these sizes.
const share = { tx: 1, msg: 0.5, typed: 0.5, auth: 0.05 };
const counts = {};
for (const p of parts) counts[p] = Math.max(1, Math.ceil(args.count * (share[p] || 0)));
const t0 = Date.now();
if (args.dump) writeFileSync(args.dump, "");
if (parts.has("tx")) {
    if (!hasCommand("sign-tx")) {
        console.log("differential: SKIPPED transactions: this nw has no sign-tx command (branch core-tx not merged)");
    } else {
        const cases = [];
        for (let i = 0; i < counts.tx; i++) cases.push(genTx(i));
        compare("sign-tx", cases, ["sign-tx", "--jsonl"], ["transaction_signed", "transaction_hash", "address"]);
        decodeRoundTrip(cases);
    }
}
if (parts.has("msg")) {
    const cases = [];
    for (let i = 0; i < counts.msg; i++) cases.push(genMsg(i));
    compare("sign-message", cases, ["sign-message", "--jsonl"], ["signature", "address", "hash"]);
}
if (parts.has("typed")) {
    const cases = [];
    for (let i = 0; i < counts.typed; i++) cases.push(genTyped(i));
    compare("sign-typed-data", cases, ["sign-typed-data", "--jsonl"], ["signature", "address", "hash"]);
}
if (parts.has("auth")) {
    if (!hasCommand("sign-authorization")) {
        console.log("differential: SKIPPED authorizations: this nw has no sign-authorization command");
    } else {
        const cases = [];
        for (let i = 0; i < counts.auth; i++) cases.push(genAuth());
        compareAuth(cases);
    }
}
console.log(`differential: ${failures === 0 ? "PASSED" : "FAILED"} (seed ${args.seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(failures === 0 ? 0 : 1);
