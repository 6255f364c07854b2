#!/usr/bin/env python3
"""Data-parallel speed: steps per second of `aha sft` and `aha grpo` on the 3M bench model
(train_bench's 3m shape: hidden 256, 4 layers, 8 heads / 4 KV, FFN 688, vocab 512), side by side:

    1 process x 1 thread | 2 processes x 1 thread (mpirun) | 1 process x 2 threads

    bench/data_parallel_bench.py [--build build] [--steps 12] [--runs 2]

Every side trains the same global batch (one process accumulates twice the micro-batches), so
their steps are the same work and, per the tests, give the same weights. Rates come from the
runs' metrics.jsonl, leaving out the first logged window (start-up): sft's tokens_per_second,
grpo's generation_seconds + training_seconds per step. Sides alternate within each run. The load
average is printed before and after: take figures on an idle machine.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

MPIRUN = ["mpirun", "--oversubscribe", "--bind-to", "none"]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_btl_vader_single_copy_mechanism": "none"}
# (name, processes, threads): the three sides.
SIDES = [("1 process x 1 thread", 1, 1), ("2 processes x 1 thread", 2, 1), ("1 process x 2 threads", 1, 2)]


def run(cmd, env=None):
    subprocess.run(cmd, check=True, env={**os.environ, **MPI_ENV, **(env or {})}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def write_model(root, aha, repo):
    """A 3M model directory (random weights from one pretraining step) with the byte tokenizer."""
    config = json.load(open(os.path.join(repo, "examples/arithmetic/config.json")))
    config.update(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=8,
                  num_key_value_heads=4, vocab_size=512, tie_word_embeddings=False, max_position_embeddings=512)
    json.dump(config, open(os.path.join(root, "model.json"), "w"))
    with open(os.path.join(root, "init.yaml"), "w") as f:
        f.write(f"model_config: {root}/model.json\ntokenizer: {repo}/examples/arithmetic/tokenizer.json\n"
                f"dataset_task: equations\noutput_dir: {root}/model\nmax_length: 64\n"
                "per_device_train_batch_size: 4\nmax_steps: 1\nlearning_rate: 1e-4\n")
    run([aha, "pretrain", "--threads", "2", "--config", os.path.join(root, "init.yaml")])
    with open(os.path.join(root, "sft.jsonl"), "w") as f:
        for a in range(2000):
            f.write(json.dumps({"prompt": f"{a}+{a % 97}=", "completion": str(a + a % 97)}) + "\n")
    return os.path.join(root, "model")


def sft_config(root, model, steps):
    path = os.path.join(root, "sft.yaml")
    with open(path, "w") as f:
        f.write(f"model_name_or_path: {model}\ndataset_path: {root}/sft.jsonl\npacking: true\nmax_length: 256\n"
                f"per_device_train_batch_size: 8\nlearning_rate: 1e-4\nmax_steps: {steps}\nlogging_steps: 1\n"
                f"save_steps: 100000\nseed: 1\n")
    return path


def grpo_config(root, model, steps):
    path = os.path.join(root, "grpo.yaml")
    with open(path, "w") as f:
        f.write(f"model_name_or_path: {model}\ndataset_task: word_problems\nreward_funcs: [format, accuracy]\n"
                "prompt_template: raw\nnum_generations: 8\nper_device_train_batch_size: 8\n"
                f"max_completion_length: 64\nlearning_rate: 1e-6\nmax_steps: {steps}\nsave_steps: 100000\nseed: 1\n")
    return path


def rate(command, out):
    """The run's rate in `out`, its first step left out: sft's tokens per second (the global
    batch's tokens, the same on every side), grpo's steps per second."""
    lines = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl"))][1:]
    if command == "sft":
        return statistics.median(l["tokens_per_second"] for l in lines)
    return 1.0 / statistics.median(l["generation_seconds"] + l["training_seconds"] for l in lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--runs", type=int, default=2)
    args = p.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    aha = os.path.abspath(os.path.join(args.build, "aha"))
    root = tempfile.mkdtemp(prefix="aha-dp-bench-")
    print("load average before:", open("/proc/loadavg").read().split()[:3])
    try:
        model = write_model(root, aha, repo)
        configs = {"sft": sft_config(root, model, args.steps), "grpo": grpo_config(root, model, args.steps)}
        rates = {(c, s[0]): [] for c in configs for s in SIDES}
        for r in range(args.runs):
            for command, config in configs.items():
                for name, processes, threads in SIDES:
                    out = os.path.join(root, f"{command}-{processes}-{threads}-{r}")
                    # The same global batch: one process accumulates as many micro-batches as 2 ranks do.
                    accumulation = 4 // processes if command == "sft" else 2 // processes
                    cmd = [aha, command, "--threads", str(threads), "--config", config, "--set", f"output_dir={out}",
                           "--set", f"gradient_accumulation_steps={accumulation}"]
                    run(MPIRUN + ["-np", str(processes)] + cmd if processes > 1 else cmd)
                    rates[(command, name)].append(rate(command, out))
        for command in configs:
            unit = "tokens/s" if command == "sft" else "steps/s"
            base = statistics.median(rates[(command, SIDES[0][0])])
            print(f"{command} ({unit}, median of {args.runs} runs; per run):")
            for name, _, _ in SIDES:
                values = rates[(command, name)]
                print(f"  {name:24s} {statistics.median(values):9.3f}  x{statistics.median(values) / base:4.2f}  "
                      f"({', '.join(f'{v:.3f}' for v in values)})")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        print("load average after:", open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
