#!/usr/bin/python3
"""Checks aha's GGUF input against gguf_write.py (a writer and numpy quantizers written from the spec).

    /usr/bin/python3 check_gguf.py AHA_BINARY

1. `aha logits` on a GGUF of a tiny model equals the safetensors model's logits bit for bit:
   llama (Q/K rows permuted as llama.cpp's converter does), mistral, qwen2 (biases, tied head),
   qwen3 (q/k norms, head_dim), an f16 and a bf16 GGUF. Control: without the permutation the
   llama logits differ.
2. Quantized GGUFs (q8_0, q4_0, q5_0, q4_K, q6_K): logits equal those of the safetensors model holding
   numpy's dequantization of the same bytes, bit for bit (a q8_0 GGUF, which `--dtype auto` runs on
   the q8_0 kernels from its blocks, against `--dtype q8_0` of that model).
3. Tokenizers: a "gpt2" GGUF tokenizer encodes as the tokenizer.json it came from; a "llama"
   (SentencePiece) one as a Python implementation of SentencePiece's highest-score merging;
   `aha generate` with the chat template from the GGUF matches the HF directory's.
4. Training and tools on a GGUF: eval, LoRA sft and grpo on a .gguf base, merge of that adapter
   (its logits bit for bit), distill with a .gguf teacher, full sft from a q8_0 GGUF (which says
   on stderr that it dequantizes).
5. Malformed files: exit 2 and one line on stderr naming the file.
Exits 1 on any failure.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gguf_write as gw  # noqa: E402
import make_tiny_model  # noqa: E402

REPO_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FAILURES = []


def check(ok, what, detail=""):
    """Prints the check's line (with `detail`, such as stderr, only when it failed)."""
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + ("" if ok or not detail else f": {detail.strip()[-300:]}"), flush=True)
    if not ok:
        FAILURES.append(what)


def run(aha, *args, stdin=None):
    return subprocess.run([aha, *args], capture_output=True, text=True, input=stdin, timeout=120)


def logits_bytes(aha, model, ids, work, dtype="auto"):
    out = os.path.join(work, "logits.safetensors")
    if os.path.exists(out):
        os.remove(out)
    proc = run(aha, "logits", "--model", model, "--ids", ",".join(map(str, ids)), "--out", out, "--dtype", dtype)
    if proc.returncode != 0:
        raise RuntimeError(f"aha logits --model {model} exited {proc.returncode}: {proc.stderr.strip()}")
    with open(out, "rb") as f:
        return f.read()


def write_hf_dir(path, config, weights, dtype):
    os.makedirs(path, exist_ok=True)
    full = dict(config, architectures=[make_tiny_model.ARCHITECTURES[config["model_type"]]], hidden_act="silu")
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(full, f)
    make_tiny_model.write_safetensors(os.path.join(path, "model.safetensors"), weights, dtype)


def round_to(weights, dtype):
    """The weights rounded to what `dtype` holds, so that a GGUF's f32 vectors match exactly."""
    if dtype == "F32":
        return weights
    kind = "f16" if dtype == "F16" else "bf16"
    return {n: gw.encode_tensor(a, kind)[1].reshape(a.shape) for n, a in weights.items()}


def check_float_models(aha, work):
    cases = [("llama_gqa", "f32"), ("mistral", "f32"), ("llama_tied_mha", "f32"), ("llama3_rope_bias", "f32"),
             ("qwen2_gqa3", "f32"), ("qwen3_qknorm", "f32"), ("llama_f16", "f16"), ("qwen3_bias_bf16", "bf16")]
    for variant, type_name in cases:
        spec = make_tiny_model.VARIANTS[variant]
        config = dict(spec["config"], bos_token_id=1, eos_token_id=2, max_position_embeddings=512)
        # GGUF's llama has no llama3 rope scaling here (aha refuses rope_freqs): the variant's
        # q/k/v/o and MLP biases are what it checks, the Q/K biases permuted like the weights.
        config.pop("rope_scaling", None)
        weights = round_to(make_tiny_model.random_weights(config, np.random.default_rng(spec["seed"])), spec["dtype"])
        hf_dir = os.path.join(work, variant)
        write_hf_dir(hf_dir, config, weights, spec["dtype"])
        data, _ = gw.convert(config, weights, type_name)
        gguf = os.path.join(work, f"{variant}.gguf")
        with open(gguf, "wb") as f:
            f.write(data)
        ids = np.random.default_rng(spec["seed"]).integers(0, config["vocab_size"], spec["seq_len"]).tolist()
        same = logits_bytes(aha, gguf, ids, work) == logits_bytes(aha, hf_dir, ids, work)
        check(same, f"logits {variant} from {type_name} GGUF equal the safetensors model's bit for bit")
        if variant == "llama_gqa":
            check_permutation_control(aha, config, weights, ids, work, hf_dir)


def check_permutation_control(aha, config, weights, ids, work, hf_dir):
    """A GGUF whose Q/K rows were not permuted must give other logits: the unpermuting matters."""
    flipped = dict(weights)
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    for name in weights:
        if "q_proj" in name:
            flipped[name] = gw.unpermute(weights[name], heads)
        if "k_proj" in name:
            flipped[name] = gw.unpermute(weights[name], kv)
    gguf = os.path.join(work, "unpermuted.gguf")
    with open(gguf, "wb") as f:
        f.write(gw.convert(config, flipped, "f32")[0])
    check(logits_bytes(aha, gguf, ids, work) != logits_bytes(aha, hf_dir, ids, work),
          "control: a llama GGUF without the converter's Q/K permutation gives other logits")


QUANT_CONFIG = dict(model_type="llama", hidden_size=256, intermediate_size=512, num_hidden_layers=1,
                    num_attention_heads=4, num_key_value_heads=2, vocab_size=64, rms_norm_eps=1e-5,
                    rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
                    max_position_embeddings=256)


def check_quantized_models(aha, work):
    weights = make_tiny_model.random_weights(QUANT_CONFIG, np.random.default_rng(11))
    ids = np.random.default_rng(12).integers(0, QUANT_CONFIG["vocab_size"], 20).tolist()
    for type_name in ("q8_0", "q4_0", "q5_0", "q4_K", "q6_K"):
        data, decoded = gw.convert(QUANT_CONFIG, weights, type_name)
        gguf = os.path.join(work, f"{type_name}.gguf")
        with open(gguf, "wb") as f:
            f.write(data)
        hf_dir = os.path.join(work, f"dequantized_{type_name}")
        write_hf_dir(hf_dir, QUANT_CONFIG, decoded, "F32")
        error = max(float(np.abs(decoded[n] - weights[n]).max() / np.abs(weights[n]).max()) for n in weights)
        if type_name == "q8_0":
            # --dtype auto runs a Q8_0 GGUF on the q8_0 kernels from its blocks as stored; quantizing
            # numpy's dequantization again gives the same blocks, so --dtype q8_0 of that directory
            # must give the same bits, and fp32 must not.
            direct = logits_bytes(aha, gguf, ids, work)
            same = direct == logits_bytes(aha, hf_dir, ids, work, "q8_0")
            check(same and direct != logits_bytes(aha, hf_dir, ids, work, "float32"),
                  "a Q8_0 GGUF runs on the q8_0 kernels from its blocks: logits equal --dtype q8_0 of numpy's "
                  "dequantization bit for bit, and differ from its float32 logits")
            continue
        same = logits_bytes(aha, gguf, ids, work, "float32") == logits_bytes(aha, hf_dir, ids, work)
        check(same and 0 < error < 0.2,
              f"logits from {type_name} GGUF equal those of numpy's dequantization bit for bit "
              f"(max relative quantization error {error:.3f})")


# ---------------------------------------------------------------------------------------------
# Tokenizers and chat templates.

CHAT_TEMPLATE = ("{% for m in messages %}<|endoftext|>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}assistant:{% endif %}")


def gpt2_metadata(tokenizer):
    vocab = tokenizer["model"]["vocab"]
    tokens = [None] * (max(vocab.values()) + 1)
    types = [1] * len(tokens)
    for token, i in vocab.items():
        tokens[i] = token
    for added in tokenizer["added_tokens"]:
        if added["id"] >= len(tokens):
            tokens += [None] * (added["id"] + 1 - len(tokens))
            types += [1] * (added["id"] + 1 - len(types))
        tokens[added["id"]] = added["content"]
        types[added["id"]] = 3 if added["special"] else 4
    merges = [m if isinstance(m, str) else " ".join(m) for m in tokenizer["model"]["merges"]]
    return [("tokenizer.ggml.model", gw.STRING, "gpt2"), ("tokenizer.ggml.pre", gw.STRING, "qwen2"),
            ("tokenizer.ggml.tokens", gw.ARRAY, (gw.STRING, tokens)),
            ("tokenizer.ggml.token_type", gw.ARRAY, (gw.INT32, types)),
            ("tokenizer.ggml.merges", gw.ARRAY, (gw.STRING, merges)),
            ("tokenizer.chat_template", gw.STRING, CHAT_TEMPLATE)]


TEXTS = ["12 + 30 = 42", "Hello, world!  two  spaces\nnew line", "<|endoftext|>after special", "ünïcödé 日本語",
         "", "   ", "don't stop"]


def check_gpt2_tokenizer_and_chat(aha, work):
    tok_path = os.path.join(REPO_ROOT, "examples", "arithmetic", "tokenizer.json")
    with open(tok_path) as f:
        tokenizer = json.load(f)
    config = dict(model_type="qwen2", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                  num_attention_heads=4, num_key_value_heads=2, vocab_size=258, rms_norm_eps=1e-6,
                  rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=257, eos_token_id=257,
                  max_position_embeddings=256)
    weights = make_tiny_model.random_weights(config, np.random.default_rng(21))
    hf_dir = os.path.join(work, "chat_model")
    write_hf_dir(hf_dir, config, weights, "F32")
    shutil.copy(tok_path, os.path.join(hf_dir, "tokenizer.json"))
    with open(os.path.join(hf_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": CHAT_TEMPLATE, "eos_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}, f)
    gguf = os.path.join(work, "chat_model.gguf")
    with open(gguf, "wb") as f:
        f.write(gw.convert(config, weights, "f32", gpt2_metadata(tokenizer))[0])
    with open(os.path.join(work, "chat_q8_0.gguf"), "wb") as f:
        f.write(gw.convert(config, weights, "q8_0", gpt2_metadata(tokenizer))[0])
    lines = "".join(json.dumps(t) + "\n" for t in TEXTS)
    from_gguf = run(aha, "tokenize", "--tokenizer", gguf, stdin=lines)
    from_json = run(aha, "tokenize", "--tokenizer", tok_path, stdin=lines)
    check(from_gguf.returncode == 0 and from_gguf.stdout == from_json.stdout and from_json.returncode == 0,
          "gpt2 GGUF tokenizer encodes as its tokenizer.json")
    args = ["--prompt", "7 + 5 =", "--max-tokens", "8", "--temperature", "0", "--seed", "1", "--json"]
    a, b = run(aha, "generate", "--model", gguf, *args), run(aha, "generate", "--model", hf_dir, *args)
    check(a.returncode == 0 and a.stdout == b.stdout and b.returncode == 0,
          "generate --prompt with the GGUF's chat template equals the HF directory's")
    messages = json.dumps([{"role": "user", "content": "hi"}]) + "\n"
    rendered = run(aha, "chat-template", "--tokenizer", gguf, stdin=messages)
    check(rendered.returncode == 0 and json.loads(rendered.stdout) == "<|endoftext|>user: hi\nassistant:",
          "chat-template renders tokenizer.chat_template of a GGUF")
    eval_args = ["--task", "word_problems", "--count", "3", "--max-tokens", "6", "--temperature", "0"]
    a, b = run(aha, "eval", "--model", gguf, *eval_args), run(aha, "eval", "--model", hf_dir, *eval_args)
    items = [os.path.join(p, "word_problems", "items.jsonl") for p in (gguf[:-len(".gguf")] + "-eval", hf_dir + "/eval")]
    same = all(os.path.exists(p) for p in items) and open(items[0]).read() == open(items[1]).read()
    check(a.returncode == 0 and b.returncode == 0 and same, "eval of a GGUF (written beside it, MODEL-eval/) equals the HF directory's item for item",
          a.stderr + b.stderr)
    return gguf, hf_dir


def spm_reference(pieces, text):
    """SentencePiece BPE: '▁' for spaces and one in front, unknown characters as <0xXX> bytes, then
    repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece (leftmost on ties)."""
    ids = {p: i for i, (p, _, _) in enumerate(pieces)}
    scores = {p: s for p, s, _ in pieces}
    symbols = []
    for ch in "\u2581" + text.replace(" ", "\u2581"):
        symbols += [ch] if ch in ids else [f"<0x{b:02X}>" for b in ch.encode("utf-8")]
    while True:
        best = None
        for i in range(len(symbols) - 1):
            merged = symbols[i] + symbols[i + 1]
            if merged in scores and not merged.startswith("<0x") and (best is None or scores[merged] > best[0]):
                best = (scores[merged], i)
        if best is None:
            return [ids[s] for s in symbols]
        i = best[1]
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]


def spm_pieces():
    pieces = [("<unk>", 0.0, 2), ("<s>", 0.0, 3), ("</s>", 0.0, 3)]
    pieces += [(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    chars = list("\u2581abcdehilnorstw")
    words = ["\u2581th", "\u2581the", "he", "th", "er", "\u2581a", "in", "\u2581w", "\u2581wh", "or", "ld",
             "\u2581wor", "\u2581world", "\u2581hello", "ll", "lo", "\u2581he", "\u2581hel", "ell", "st", "\u2581s"]
    rng = np.random.default_rng(31)
    scores = rng.permutation(len(words)) - 100.0  # distinct scores, in no particular order
    pieces += [(c, -200.0 - i, 1) for i, c in enumerate(chars)]
    pieces += [(w, float(s), 1) for w, s in zip(words, scores)]
    return pieces


def check_spm_tokenizer(aha, work):
    pieces = spm_pieces()
    metadata = [("general.architecture", gw.STRING, "llama"), ("tokenizer.ggml.model", gw.STRING, "llama"),
                ("tokenizer.ggml.tokens", gw.ARRAY, (gw.STRING, [p for p, _, _ in pieces])),
                ("tokenizer.ggml.scores", gw.ARRAY, (gw.FLOAT32, [s for _, s, _ in pieces])),
                ("tokenizer.ggml.token_type", gw.ARRAY, (gw.INT32, [t for _, _, t in pieces])),
                ("tokenizer.ggml.bos_token_id", gw.UINT32, 1), ("tokenizer.ggml.eos_token_id", gw.UINT32, 2),
                ("tokenizer.ggml.unknown_token_id", gw.UINT32, 0)]
    path = os.path.join(work, "spm.gguf")
    with open(path, "wb") as f:
        f.write(gw.gguf_bytes(metadata, []))
    texts = ["hello world", "the world is here", "whistle in the tower", "xyz Ω!", "a  b", "sheer shell"]
    got = run(aha, "tokenize", "--tokenizer", path, "--add-special", stdin="".join(json.dumps(t) + "\n" for t in texts))
    want = "".join(json.dumps([1] + spm_reference(pieces, t), separators=(",", ":")) + "\n" for t in texts)
    got_ids = [json.loads(line) for line in got.stdout.splitlines()] if got.returncode == 0 else None
    check(got_ids == [json.loads(line) for line in want.splitlines()],
          "llama (SentencePiece) GGUF tokenizer encodes as SentencePiece's score-ordered merging")
    detok = run(aha, "detokenize", "--tokenizer", path, "--skip-special", stdin=got.stdout)
    check(detok.returncode == 0 and [json.loads(line) for line in detok.stdout.splitlines()] == texts,
          "llama GGUF tokenizer decodes its ids back to the text")


# ---------------------------------------------------------------------------------------------
# Training from a GGUF: LoRA on it as the frozen base, full fine-tuning from a quantized one.

def sft_config(work, name, model, extra=""):
    path = os.path.join(work, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(f"model_name_or_path: {model}\ndataset_task: word_problems\ndataset_num_examples: 16\n"
                f"output_dir: {os.path.join(work, name)}\nmax_length: 320\nper_device_train_batch_size: 2\n"
                f"learning_rate: 1e-3\nmax_steps: 2\nsave_steps: 2\nlogging_steps: 1\nseed: 3\n{extra}")
    return path


def check_training(aha, work, gguf):
    lora = run(aha, "sft", "--threads", "2", "--config",
               sft_config(work, "lora", gguf, "use_peft: true\nlora_r: 2\nlora_alpha: 4\n"))
    out = os.path.join(work, "lora")
    adapter = os.path.join(out, "adapter_config.json")
    base = json.load(open(adapter))["base_model_name_or_path"] if os.path.exists(adapter) else None
    check(lora.returncode == 0 and base == os.path.abspath(gguf), "LoRA sft with a .gguf base writes an adapter on it", lora.stderr)
    args = ["--prompt", "7 + 5 =", "--max-tokens", "4", "--temperature", "0", "--seed", "1", "--json"]
    gen = run(aha, "generate", "--model", out, *args)
    check(gen.returncode == 0 and len(json.loads(gen.stdout)["ids"]) > 0, "generate from the adapter on a .gguf base", gen.stderr)

    merged = os.path.join(work, "merged")
    merge = run(aha, "merge", "--adapter", out, "--out", merged)
    ids = list(range(1, 20))
    same = merge.returncode == 0 and logits_bytes(aha, merged, ids, work) == logits_bytes(aha, out, ids, work)
    check(same and os.path.exists(os.path.join(merged, "tokenizer.json")),
          "merge of an adapter on a .gguf base: a model directory with the adapter's logits bit for bit", merge.stderr)

    grpo_yaml = os.path.join(work, "grpo.yaml")
    with open(grpo_yaml, "w") as f:
        f.write(f"model_name_or_path: {gguf}\ndataset_task: word_problems\ndataset_num_examples: 8\n"
                f"prompt_template: chat\nreward_funcs: [accuracy]\nnum_generations: 2\n"
                f"per_device_train_batch_size: 4\nmax_completion_length: 8\nmax_steps: 1\n"
                f"output_dir: {os.path.join(work, 'grpo')}\nuse_peft: true\n")
    grpo = run(aha, "grpo", "--threads", "2", "--config", grpo_yaml)
    check(grpo.returncode == 0 and os.path.exists(os.path.join(work, "grpo", "adapter_model.safetensors")),
          "LoRA grpo with a .gguf base writes an adapter on it", grpo.stderr)

    distill_yaml = os.path.join(work, "distill.yaml")
    with open(distill_yaml, "w") as f:
        f.write(f"model_name_or_path: {gguf}\ndataset_task: word_problems\ndataset_num_examples: 4\n"
                f"prompt_template: chat\nreward_funcs: [accuracy]\nnum_samples: 2\nmax_completion_length: 8\n"
                f"output_dir: {os.path.join(work, 'distill')}\n")
    distill = run(aha, "distill", "--threads", "2", "--config", distill_yaml)
    check(distill.returncode == 0 and os.path.exists(os.path.join(work, "distill", "train.jsonl")),
          "distill with a .gguf teacher writes its dataset", distill.stderr)

    quantized = os.path.join(work, "chat_q8_0.gguf")
    full = run(aha, "sft", "--threads", "2", "--config", sft_config(work, "full", quantized))
    out = os.path.join(work, "full")
    files = all(os.path.exists(os.path.join(out, n)) for n in
                ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"))
    said = "holds quantized weights (q8_0): full fine-tuning dequantizes them into float32" in full.stderr
    check(full.returncode == 0 and files and said, "full sft from a q8_0 GGUF says it dequantizes and writes an HF model", full.stderr)
    gen = run(aha, "generate", "--model", out, *args)
    check(gen.returncode == 0, "generate from the model fine-tuned from a GGUF", gen.stderr)


# ---------------------------------------------------------------------------------------------
# Malformed files.

def header(tensors=0, kvs=0, version=3):
    return struct.pack("<IIQQ", 0x46554747, version, tensors, kvs)


def kv(key, vtype, payload):
    return gw.gguf_string(key) + struct.pack("<I", vtype) + payload


def tensor_info(name, ne, type_id, offset):
    return (gw.gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
            + struct.pack("<IQ", type_id, offset))


def with_data(head, data_bytes):
    return head + b"\0" * (-len(head) % 32) + data_bytes


MALFORMED = [
    ("empty", b""),
    ("bad_magic", b"GGUX" + header()[4:]),
    ("version_1", header(version=1)),
    ("version_4", header(version=4)),
    ("big_endian", struct.pack("<I", 0x46554747) + struct.pack(">I", 3) + b"\0" * 16),
    ("truncated_header", header()[:20]),
    ("huge_kv_count", header(kvs=1 << 60)),
    ("huge_tensor_count", header(tensors=1 << 60)),
    ("string_past_end", header(kvs=1) + struct.pack("<Q", 1 << 40) + b"key" + b"\0" * 32),
    ("unknown_value_type", header(kvs=1) + kv("a", 99, b"")),
    ("nested_array", header(kvs=1) + kv("a", gw.ARRAY, struct.pack("<IQ", gw.ARRAY, 1) + struct.pack("<IQ", 0, 0))),
    ("huge_array", header(kvs=1) + kv("a", gw.ARRAY, struct.pack("<IQ", gw.UINT32, 1 << 61))),
    ("truncated_value", header(kvs=1) + kv("a", gw.UINT64, b"\1\2")),
    ("bad_alignment", header(kvs=1) + kv("general.alignment", gw.UINT32, struct.pack("<I", 24))),
    ("duplicate_key", header(kvs=2) + kv("a", gw.UINT8, b"\1") + kv("a", gw.UINT8, b"\2")),
    ("unknown_tensor_type", with_data(header(tensors=1) + tensor_info("t", [32], 3, 0), b"\0" * 64)),
    ("dims_overflow", with_data(header(tensors=1) + tensor_info("t", [1 << 40, 1 << 40], 0, 0), b"\0" * 64)),
    ("zero_dim", with_data(header(tensors=1) + tensor_info("t", [0], 0, 0), b"")),
    ("five_dims", with_data(header(tensors=1) + tensor_info("t", [1, 1, 1, 1, 1], 0, 0), b"\0" * 32)),
    ("partial_block", with_data(header(tensors=1) + tensor_info("t", [31], 8, 0), b"\0" * 64)),
    ("offset_past_end", with_data(header(tensors=1) + tensor_info("t", [8], 0, 64), b"\0" * 32)),
    ("misaligned_offset", with_data(header(tensors=1) + tensor_info("t", [8], 0, 4), b"\0" * 64)),
    ("overlapping", with_data(header(tensors=2) + tensor_info("a", [16], 0, 0) + tensor_info("b", [16], 0, 32),
                              b"\0" * 128)),
    ("duplicate_tensor", with_data(header(tensors=2) + tensor_info("a", [8], 0, 0) + tensor_info("a", [8], 0, 32),
                                   b"\0" * 64)),
    ("no_architecture", with_data(header(tensors=1) + tensor_info("t", [8], 0, 0), b"\0" * 32)),
    ("unknown_architecture", header(kvs=1) + kv("general.architecture", gw.STRING, gw.gguf_string("gpt9"))),
    ("architecture_not_string", header(kvs=1) + kv("general.architecture", gw.UINT32, struct.pack("<I", 1))),
]


def check_malformed(aha, work):
    for name, data in MALFORMED:
        path = os.path.join(work, f"{name}.gguf")
        with open(path, "wb") as f:
            f.write(data)
        proc = run(aha, "logits", "--model", path, "--ids", "1", "--out", os.path.join(work, "never.safetensors"))
        lines = proc.stderr.strip().splitlines()
        ok = proc.returncode == 2 and len(lines) == 1 and path in lines[0] and "Traceback" not in proc.stderr
        check(ok, f"malformed {name}: exit {proc.returncode}: {proc.stderr.strip()[:150]}")


def main(argv):
    if len(argv) != 1:
        print(__doc__)
        return 2
    aha = os.path.abspath(argv[0])
    work = tempfile.mkdtemp(prefix="aha-gguf-")
    try:
        check_float_models(aha, work)
        check_quantized_models(aha, work)
        gguf, _ = check_gpt2_tokenizer_and_chat(aha, work)
        check_training(aha, work, gguf)
        check_spm_tokenizer(aha, work)
        check_malformed(aha, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILURES)} failure(s)" if FAILURES else "all GGUF checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
