#!/usr/bin/python3
"""Reference for `aha chat-template`: renders chat templates with Python's Jinja2 configured
exactly as transformers' apply_chat_template configures it.

Same command line and contract as aha's command:
    jinja_reference.py --tokenizer PATH [--no-generation-prompt] [--kwargs JSON]
stdin: one JSON messages array a line; stdout: one JSON string a line (the rendered prompt).
Errors: one line on stderr, exit status 2.

Run it with Debian's /usr/bin/python3 (package python3-jinja2); transformers itself is not needed:
the environment below is the one transformers builds in chat_template_utils._compile_jinja_template
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its AssistantTracker
`{% generation %}` tag, its tojson filter, raise_exception and strftime_now globals), and the
variables are the ones apply_chat_template passes (messages, tools, documents,
add_generation_prompt, the tokenizer's special_tokens_map, then every extra keyword argument).
"""
import argparse
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

SPECIAL_TOKEN_NAMES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


class AssistantTracker(Extension):
    """transformers' `{% generation %}...{% endgeneration %}` tag, rendering its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render_body"), [], [], body).set_lineno(lineno)

    def _render_body(self, caller):
        return caller()


def compile_template(source):
    """The template compiled in transformers' environment."""

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def token_text(token):
    if isinstance(token, dict):
        return token.get("content")
    return token


def special_tokens(config):
    """transformers' special_tokens_map: the set (non-empty) special tokens, as strings."""
    tokens = {}
    for name in SPECIAL_TOKEN_NAMES:
        text = token_text(config.get(name))
        if text:
            tokens[name] = text
    extra = [token_text(t) for t in config.get("additional_special_tokens") or []]
    if extra:
        tokens["additional_special_tokens"] = extra
    return tokens


def load(path):
    """(template source, special tokens) of a model directory or a tokenizer_config.json."""
    config_path = os.path.join(path, "tokenizer_config.json") if os.path.isdir(path) else path
    jinja_path = os.path.join(os.path.dirname(config_path), "chat_template.jinja")
    config = {}
    if os.path.isfile(config_path):
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    if os.path.isfile(jinja_path):
        with open(jinja_path, encoding="utf-8") as f:
            return f.read(), special_tokens(config)
    source = config["chat_template"]
    if isinstance(source, list):
        source = {entry["name"]: entry["template"] for entry in source}["default"]
    return source, special_tokens(config)


def render(template, tokens, messages, add_generation_prompt=True, kwargs=None):
    """apply_chat_template(messages, tokenize=False, add_generation_prompt=..., **kwargs)."""
    kwargs = dict(kwargs or {})
    tools = kwargs.pop("tools", None)
    documents = kwargs.pop("documents", None)
    variables = {**tokens, **kwargs}
    return template.render(
        messages=messages, tools=tools, documents=documents, add_generation_prompt=add_generation_prompt, **variables
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--no-generation-prompt", action="store_true")
    parser.add_argument("--kwargs", default="{}")
    args = parser.parse_args()
    try:
        source, tokens = load(args.tokenizer)
        template = compile_template(source)
        kwargs = json.loads(args.kwargs)
    except Exception as e:  # noqa: BLE001 - any failure is bad input, reported on one line
        print(f"jinja_reference.py: {args.tokenizer}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
        return 2
    for number, line in enumerate(sys.stdin, 1):
        try:
            prompt = render(template, tokens, json.loads(line), not args.no_generation_prompt, kwargs)
        except Exception as e:  # noqa: BLE001
            print(f"jinja_reference.py: stdin line {number}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
            return 2
        print(json.dumps(prompt, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
