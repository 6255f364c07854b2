#!/usr/bin/python3
"""Greedy generation of the pretrained stories260k model against the float64 reference.

    /usr/bin/python3 check_generate.py AHA_BINARY

Runs `aha generate --ids 1 --temperature 0 --json` on tests/fixtures/stories260k and
recomputes the greedy continuation with hf_reference.py's float64 forward pass over the
growing sequence. Where the reference's two best logits are closer than 1e-4 of the largest
(a near-tie) either token is accepted and the tie is reported. Exits 1 on a mismatch.
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hf_reference  # noqa: E402

STORIES260K = os.path.join(HERE, "..", "fixtures", "stories260k")
NEW_TOKENS = 60


def main(argv):
    aha = argv[1]
    cmd = [aha, "generate", "--model", STORIES260K, "--ids", "1", "--temperature", "0",
           "--max-tokens", str(NEW_TOKENS), "--json", "--threads", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
        return 1
    got = json.loads(proc.stdout.splitlines()[0])["ids"]
    config, weights = hf_reference.load_model_dir(STORIES260K)
    eos = config.get("eos_token_id")
    seq = [1]
    for position, token in enumerate(got):
        logits = hf_reference.forward(config, weights, seq)[-1]
        order = logits.argsort(descending=True)
        best, second = float(logits[order[0]]), float(logits[order[1]])
        if best - second < 1e-4 * abs(best):
            print(f"near-tie at position {len(seq)}: gap {best - second:.3g}; aha chose {token}")
            if token not in (int(order[0]), int(order[1])):
                print(f"FAIL: token {token} is neither of the two best")
                return 1
        elif token != int(order[0]):
            print(f"FAIL: position {len(seq)}: aha {token}, reference {int(order[0])} (gap {best - second:.3g})")
            return 1
        seq.append(token)
    if len(got) < NEW_TOKENS and got[-1] != eos:
        print(f"FAIL: {len(got)} tokens without EOS")
        return 1
    print(f"stories260k greedy: {len(got)} tokens match the float64 reference: {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
