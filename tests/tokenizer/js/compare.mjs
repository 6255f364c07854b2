// Compares `aha tokenize` and `aha detokenize` with the JavaScript reference.
//   node compare.mjs --aha BUILD/aha --corpus FILE [--tokenizer NAME_OR_PATH ...]
//   node compare.mjs --aha BUILD/aha --corpus FILE --train N --vocab-size V
// For each tokenizer and each corpus string (one JSON string a line): aha's ids must equal the
// reference's (add_special_tokens false, then true), and detokenize(tokenize(x)) must equal x
// after the tokenizer's normalizer. With --train, `aha tokenizer-train` first learns a tokenizer
// from the first N strings; the reference loads the tokenizer.json it wrote, and the two are
// compared on the remaining (held-out) strings. Exits 1 on any difference, listing the first few.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

let reference;
try {
  reference = await import("./reference.mjs");
} catch (e) {
  console.error(`the JavaScript reference is not installed (${e.message.split("\n")[0]}); run scripts/install-deps`);
  process.exit(1);
}
const { load, names, normalizer_of, tokenizer_json_path } = reference;

function args() {
  const a = { tokenizers: [] };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--aha") a.aha = argv[i + 1];
    else if (argv[i] === "--corpus") a.corpus = argv[i + 1];
    else if (argv[i] === "--tokenizer") a.tokenizers.push(argv[i + 1]);
    else if (argv[i] === "--train") a.train = Number(argv[i + 1]);
    else if (argv[i] === "--vocab-size") a.vocab_size = argv[i + 1];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!a.aha || !a.corpus) throw new Error("usage: compare.mjs --aha BIN --corpus FILE [--tokenizer NAME_OR_PATH ...]");
  if (a.tokenizers.length === 0 && a.train === undefined) a.tokenizers = names;
  return a;
}

function run_aha(bin, argv, input) {
  const r = spawnSync(bin, argv, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`aha ${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout.toString("utf8").split("\n").slice(0, -1);
}

const show = (x) => JSON.stringify(x).slice(0, 200);

function compare(a, name, lines) {
  const texts = lines.map((l) => JSON.parse(l));
  const ref = load(name);
  const file = names.includes(name) ? tokenizer_json_path(name) : name;
  const normalize = normalizer_of(name);
  let failures = 0;
  const report = (what) => { if (++failures <= 10) console.log(`  ${name}: ${what}`); };
  for (const add_special of [false, true]) {
    const argv = ["tokenize", "--tokenizer", file, ...(add_special ? ["--add-special"] : [])];
    const got = run_aha(a.aha, argv, lines.join("\n") + "\n");
    if (got.length !== texts.length) report(`aha printed ${got.length} lines for ${texts.length} strings`);
    texts.forEach((t, i) => {
      const want = JSON.stringify(ref.encode(t, { add_special_tokens: add_special }));
      if (got[i] !== want) report(`ids differ (add_special ${add_special}) for ${show(t)}\n    aha ${got[i]}\n    ref ${want}`);
    });
    if (add_special) continue;
    const decoded = run_aha(a.aha, ["detokenize", "--tokenizer", file], got.join("\n") + "\n").map((l) => JSON.parse(l));
    texts.forEach((t, i) => {
      if (decoded[i] !== normalize(t)) report(`round trip differs for ${show(t)}: got ${show(decoded[i])}`);
    });
  }
  // Lines that are not UTF-8: aha must encode them as the reference encodes Node's decoding of them.
  const invalid = [[0x61, 0xff, 0x62], [0xe4, 0xb8, 0x20, 0x63], [0xed, 0xa0, 0x80, 0x64], [0xf0, 0x9f, 0x98],
    [0xc0, 0xaf, 0x3c, 0x7c, 0x69, 0x6d, 0x5f, 0x65, 0x6e, 0x64, 0x7c, 0x3e, 0xfe], [0xf4, 0x90, 0x80, 0x80, 0x78]];
  const raw = Buffer.concat(invalid.map((b) => Buffer.from([0x22, ...b, 0x22, 0x0a])));
  const got = run_aha(a.aha, ["tokenize", "--tokenizer", file], raw);
  invalid.forEach((b, i) => {
    const want = JSON.stringify(ref.encode(JSON.parse(`"${Buffer.from(b).toString("utf8")}"`), { add_special_tokens: false }));
    if (got[i] !== want) report(`ids differ for invalid UTF-8 bytes ${Buffer.from(b).toString("hex")}: aha ${got[i]}, ref ${want}`);
  });
  console.log(`${name}: ${texts.length} strings and ${invalid.length} invalid UTF-8 lines, ${failures} differences`);
  return failures;
}

const a = args();
let lines = fs.readFileSync(a.corpus, "utf8").split("\n").filter((l) => l.length > 0);
if (a.train !== undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aha-tokenizer-train-"));
  const data = path.join(dir, "train.jsonl"), out = path.join(dir, "tokenizer.json");
  fs.writeFileSync(data, lines.slice(0, a.train).join("\n") + "\n");
  console.log(run_aha(a.aha, ["tokenizer-train", "--data", data, "--vocab-size", a.vocab_size ?? "1000", "--out", out])[0]);
  lines = lines.slice(a.train);
  a.tokenizers.push(out);
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
}
let failed = 0;
for (const name of a.tokenizers) failed += compare(a, name, lines) > 0 ? 1 : 0;
console.log(`${a.tokenizers.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
