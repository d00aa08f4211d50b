// Keystore interop with ethers v6 (tests/differential/node_modules): ethers writes, nw reads;
// nw writes (scrypt and pbkdf2), ethers reads. Usage: node keystore_interop.mjs NW DIR
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { Wallet, encryptKeystoreJson } = await import(join(here, "../differential/node_modules/ethers/lib.esm/index.js"));
const [nw, dir] = process.argv.slice(2);
let fails = 0;
const check = (name, ok, detail = "") => {
    console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : " " + detail}`);
    if (!ok) fails++;
};
const run = (args) => spawnSync(nw, args, { encoding: "utf8" });
writeFileSync(join(dir, "pw"), "correct horse\n", { mode: 0o600 });

for (let i = 0; i < 3; i++) {
    const w = Wallet.createRandom();
    const ks = await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, "correct horse",
                                         { scrypt: { N: 1 << (10 + i) } });
    const f = join(dir, `ethers${i}.json`);
    writeFileSync(f, ks, { mode: 0o600 });
    const r = run(["keystore", "import", f, "--out", "-", "--password-file", join(dir, "pw")]);
    check(`ethers scrypt N=2^${10 + i} -> nw import`, r.status === 0 && r.stdout.trim() === w.privateKey.slice(2),
          r.stderr);
}
const key = join(dir, "k");
writeFileSync(key, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n", { mode: 0o600 });
for (const [kdf, cost] of [["scrypt", "2048"], ["pbkdf2", "5000"]]) {
    const out = join(dir, `nw-${kdf}.json`);
    const r = run(["keystore", "export", "--key-file", key, "--out", out, "--password-file", join(dir, "pw"),
                   "--kdf", kdf, "--kdf-cost", cost]);
    check(`nw export ${kdf}`, r.status === 0, r.stderr);
    const w = await Wallet.fromEncryptedJson(readFileSync(out, "utf8"), "correct horse");
    check(`nw ${kdf} -> ethers decrypt`, w.address === "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", w.address);
}
process.exit(fails ? 1 : 0);
