// The JavaScript side of bench/tokenizer: encodes every document of a JSONL file (one JSON string
// a line) with a reference tokenizer and prints {"seconds", "bytes", "tokens"} as one JSON line.
//   node bench_encode.mjs --tokenizer NAME_OR_PATH --data FILE
import fs from "node:fs";
import { load } from "./reference.mjs";

const argv = process.argv.slice(2);
const opt = (name) => argv[argv.indexOf(name) + 1];
const docs = fs.readFileSync(opt("--data"), "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
const tok = load(opt("--tokenizer"));
tok.encode("warm up", { add_special_tokens: false });
let bytes = 0;
for (const d of docs) bytes += Buffer.byteLength(d, "utf8");
const start = process.hrtime.bigint();
let tokens = 0;
for (const d of docs) tokens += tok.encode(d, { add_special_tokens: false }).length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ seconds, bytes, tokens }));
