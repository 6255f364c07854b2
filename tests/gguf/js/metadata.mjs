// Prints a GGUF file's metadata and tensor infos as read by @huggingface/gguf, one JSON line
// (bigints as numbers, typed token arrays as lists).
//
//   node metadata.mjs F.gguf
import { gguf } from "@huggingface/gguf";

const { metadata, tensorInfos } = await gguf(process.argv[2], { allowLocalFile: true });
const plain = (v) => (typeof v === "bigint" ? Number(v) : Array.isArray(v) ? v.map(plain) : v);
const out = { metadata: {}, tensors: {} };
for (const [key, value] of Object.entries(metadata)) out.metadata[key] = plain(value);
for (const t of tensorInfos) out.tensors[t.name] = { shape: t.shape.map(Number), dtype: t.dtype };
console.log(JSON.stringify(out));
