#!/usr/bin/python3
"""What PEFT writes for a LoRA adapter of a Llama/Qwen causal LM (the keys of adapter_config.json,
the tensor names of adapter_model.safetensors), from the lists in hf_layout_names.json.

    /usr/bin/python3 peft_names.py ADAPTER_DIR NUM_LAYERS   exit 0 when the directory matches
"""
import json
import os
import re
import sys

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf_layout_names.json")) as _f:
    _NAMES = json.load(_f)

ADAPTER_CONFIG_KEYS = _NAMES["adapter_config_keys"]
LORA_TENSOR_PATTERN = re.compile(_NAMES["lora_tensor_pattern"])
TRAINER_STATE_KEYS = _NAMES["trainer_state_keys"]


def is_lora_tensor_name(name, num_layers):
    m = LORA_TENSOR_PATTERN.fullmatch(name)
    return bool(m) and int(m.group(1)) < num_layers


def main(argv):
    adapter_dir, num_layers = argv[0], int(argv[1])
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        config = json.load(f)
    ok = sorted(config) == sorted(ADAPTER_CONFIG_KEYS)
    ok = ok and config["peft_type"] == "LORA" and config["task_type"] == "CAUSAL_LM"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import hf_reference

    names = hf_reference.read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    ok = ok and all(is_lora_tensor_name(n, num_layers) for n in names)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
