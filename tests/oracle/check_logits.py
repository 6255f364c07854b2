#!/usr/bin/python3
"""Compares `aha logits` with the float64 Hugging Face reference (hf_reference.py).

    /usr/bin/python3 check_logits.py AHA_BINARY

For every tiny model variant of make_tiny_model.py and for the pretrained
stories260k fixture, requires max|aha - ref| < 1e-4 * max|ref| and prints one line
with the measured ratio; for a BF16 variant also `--dtype bfloat16` against the
reference whose matrix products round their inputs to bf16, and for every variant `--dtype
q8_0` against the reference whose products quantize their operands to q8_0 (each with a
negative control against the plain reference). Negative controls show the comparison can fail: a model
with one perturbed weight, and a reference that ignores llama3 rope scaling, must
both be rejected. Exits 1 on any failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hf_reference  # noqa: E402
import make_tiny_model  # noqa: E402

TOLERANCE = 1e-4  # max|aha - ref| / max|ref|, for --dtype bfloat16 and q8_0 too against their own references
REPO_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
STORIES260K = os.path.join(REPO_ROOT, "tests", "fixtures", "stories260k")


def aha_logits(aha, model_dir, ids, work_dir, dtype="float32"):
    """Runs `aha logits --dtype DTYPE` and returns its logits as float64 [T, vocab]."""
    out = os.path.join(work_dir, "aha_logits.safetensors")
    if os.path.exists(out):
        os.remove(out)
    cmd = [aha, "logits", "--model", model_dir, "--ids", ",".join(map(str, ids)), "--out", out, "--dtype", dtype]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    tensors = hf_reference.read_safetensors(out)
    if list(tensors) != ["logits"]:
        raise RuntimeError(f"aha logits wrote tensors {list(tensors)}, expected only 'logits'")
    return tensors["logits"]


def diff_ratio(got, ref):
    """max|got - ref| / max|ref|, or inf when the shapes differ."""
    if got.shape != ref.shape:
        return float("inf")
    return float(np.abs(got - ref).max() / np.abs(ref).max())


def report(name, got, ref, failures):
    ratio = diff_ratio(got, ref)
    ok = ratio < TOLERANCE
    shape = "x".join(map(str, got.shape))
    print(f"{'ok  ' if ok else 'FAIL'} {name:<18} max|aha-ref|/max|ref| = {ratio:.2e}"
          f"  (max|ref| = {np.abs(ref).max():.2f}, [{shape}])", flush=True)
    if not ok:
        failures.append(name)
    return ratio


def check_variant(aha, variant, work_dir, failures):
    model_dir = os.path.join(work_dir, variant)
    config, seq_len, seed = make_tiny_model.make_model(variant, model_dir)
    ids = np.random.default_rng(100 + seed).integers(0, config["vocab_size"], seq_len).tolist()
    ref = hf_reference.logits_for_dir(model_dir, ids)
    got = aha_logits(aha, model_dir, ids, work_dir)
    report(variant, got, ref, failures)
    if config.get("torch_dtype") == "bfloat16":
        check_bf16_compute(aha, variant, model_dir, ids, ref, work_dir, failures)
    check_q8_0_compute(aha, variant, model_dir, ids, ref, work_dir, failures)
    return model_dir, ids, ref, got


def check_bf16_compute(aha, variant, model_dir, ids, ref, work_dir, failures):
    """aha --dtype bfloat16 against the reference whose products round their inputs to bf16;
    the plain reference must then miss it by far more (the rounding is what is being checked)."""
    got = aha_logits(aha, model_dir, ids, work_dir, "bfloat16")
    report(variant + " bf16", got, hf_reference.logits_for_dir(model_dir, ids, True), failures)
    ratio = diff_ratio(got, ref)
    detected = ratio > 10 * TOLERANCE
    print(f"{'ok  ' if detected else 'FAIL'} negative control: {variant} bf16 against the fp32 reference gives"
          f" ratio {ratio:.2e} (must exceed {10 * TOLERANCE:.0e})", flush=True)
    if not detected:
        failures.append("negative control: bf16 rounding")


def check_q8_0_compute(aha, variant, model_dir, ids, ref, work_dir, failures):
    """aha --dtype q8_0 against the reference whose products quantize both operands to q8_0; the
    plain reference must then miss it by far more (the quantization is what is being checked)."""
    got = aha_logits(aha, model_dir, ids, work_dir, "q8_0")
    report(variant + " q8_0", got, hf_reference.logits_for_dir(model_dir, ids, "q8_0"), failures)
    ratio = diff_ratio(got, ref)
    detected = ratio > 10 * TOLERANCE
    print(f"{'ok  ' if detected else 'FAIL'} negative control: {variant} q8_0 against the fp32 reference gives"
          f" ratio {ratio:.2e} (must exceed {10 * TOLERANCE:.0e})", flush=True)
    if not detected:
        failures.append("negative control: q8_0 quantization")


def check_stories260k(aha, work_dir, failures):
    if not os.path.exists(os.path.join(STORIES260K, "config.json")):
        print(f"FAIL stories260k: fixture not found at {STORIES260K}")
        failures.append("stories260k")
        return
    ids = [1] + np.random.default_rng(260).integers(3, 512, 40).tolist()
    ref = hf_reference.logits_for_dir(STORIES260K, ids)
    got = aha_logits(aha, STORIES260K, ids, work_dir)
    report("stories260k", got, ref, failures)


def perturbed_weight_is_detected(aha, model_dir, ids, ref, work_dir, failures):
    """Adds 0.02 to one down_proj weight of a copy; aha's logits must then miss ref."""
    copy = os.path.join(work_dir, "perturbed")
    shutil.copytree(model_dir, copy)
    path = os.path.join(copy, "model.safetensors")
    tensors = hf_reference.read_safetensors(path)
    tensors["model.layers.1.mlp.down_proj.weight"][3, 5] += 0.02
    make_tiny_model.write_safetensors(path, {n: a.astype(np.float32) for n, a in tensors.items()}, "F32")
    ratio = diff_ratio(aha_logits(aha, copy, ids, work_dir), ref)
    detected = ratio > 10 * TOLERANCE
    print(f"{'ok  ' if detected else 'FAIL'} negative control: one weight +0.02 gives ratio {ratio:.2e}"
          f" (must exceed {10 * TOLERANCE:.0e})", flush=True)
    if not detected:
        failures.append("negative control: perturbed weight")


def unscaled_rope_is_detected(model_dir, ids, got, failures):
    """A reference without llama3 rope scaling must disagree with aha's logits."""
    config, weights = hf_reference.load_model_dir(model_dir)
    del config["rope_scaling"]
    ratio = diff_ratio(got, hf_reference.forward(config, weights, ids).numpy())
    detected = ratio > 10 * TOLERANCE
    print(f"{'ok  ' if detected else 'FAIL'} negative control: reference without rope_scaling gives"
          f" ratio {ratio:.2e} (must exceed {10 * TOLERANCE:.0e})", flush=True)
    if not detected:
        failures.append("negative control: rope scaling")


def main(argv):
    if len(argv) != 1:
        print("usage: check_logits.py AHA_BINARY", file=sys.stderr)
        return 2
    aha = os.path.abspath(argv[0])
    failures = []
    with tempfile.TemporaryDirectory(prefix="aha_oracle_") as work_dir:
        results = {}
        for variant in make_tiny_model.VARIANTS:
            try:
                results[variant] = check_variant(aha, variant, work_dir, failures)
            except Exception as e:  # report every variant, then fail
                print(f"FAIL {variant}: {e}", flush=True)
                failures.append(variant)
        try:
            check_stories260k(aha, work_dir, failures)
        except Exception as e:
            print(f"FAIL stories260k: {e}", flush=True)
            failures.append("stories260k")
        if "llama_gqa" in results:
            model_dir, ids, ref, _ = results["llama_gqa"]
            perturbed_weight_is_detected(aha, model_dir, ids, ref, work_dir, failures)
        if "llama3_rope_bias" in results:
            model_dir, ids, _, got = results["llama3_rope_bias"]
            unscaled_rope_is_detected(model_dir, ids, got, failures)
    if failures:
        print(f"{len(failures)} failed: {', '.join(failures)}")
        return 1
    print("all logits match the float64 reference")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
