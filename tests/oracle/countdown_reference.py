"""Countdown reference verifier: Python's own parser (ast) and exact fractions.

Writes seeded random countdown answers — valid expressions over the given numbers, some reaching
the target, and mutations of them (a number dropped, repeated or merged with its neighbour, a
stray character, a deleted character) — as `aha reward --fn countdown` input lines, and the score
this independent verifier gives each (1 when the last <answer> block holds an expression of only
integer literals, + - * / and parentheses, that uses each number exactly once and equals the
target; else 0).

Usage: countdown_reference.py --count N --seed S --cases F.jsonl --expected F.txt
"""
import argparse
import ast
import json
import random
import re
from fractions import Fraction


def evaluate(node):
    if isinstance(node, ast.Expression):
        return evaluate(node.body)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Fraction(node.value), [node.value]
    if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div):
        a, la = evaluate(node.left)
        b, lb = evaluate(node.right)
        if isinstance(node.op, ast.Add):
            return a + b, la + lb
        if isinstance(node.op, ast.Sub):
            return a - b, la + lb
        if isinstance(node.op, ast.Mult):
            return a * b, la + lb
        if b == 0:
            raise ZeroDivisionError
        return a / b, la + lb
    raise ValueError("not allowed: " + type(node).__name__)


def score(completion, numbers, target):
    blocks = re.findall(r"<answer>(.*?)</answer>", completion, re.DOTALL)
    if not blocks:
        return 0
    text = blocks[-1].strip()
    # Only digits, operators, parentheses and spaces; literals of at most 9 digits, written
    # without leading zeros (Python's parser rejects those itself) or digit separators.
    if not re.fullmatch(r"[0-9+\-*/() ]+", text) or re.search(r"[0-9]{10}", text):
        return 0
    try:
        value, literals = evaluate(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return 0
    return int(value == target and sorted(literals) == sorted(numbers))


def random_expression(rng, numbers):
    nodes = [str(n) for n in rng.sample(numbers, len(numbers))]
    while len(nodes) > 1:
        i, j = rng.sample(range(len(nodes)), 2)
        op = rng.choice("+-*/")
        text = f"({nodes[i]} {op} {nodes[j]})" if rng.random() < 0.7 or len(nodes) > 2 else f"{nodes[i]} {op} {nodes[j]}"
        nodes = [n for k, n in enumerate(nodes) if k not in (i, j)] + [text]
    return nodes[0]


def mutate(rng, text, numbers):
    kind = rng.randrange(6)
    if kind == 0:  # drop a number and its operator
        return re.sub(r"\d+ [+\-*/] ", "", text, count=1)
    if kind == 1:  # repeat a number
        return f"({text}) + {rng.choice(numbers)} - {rng.choice(numbers)}"
    if kind == 2:  # merge two numbers' digits
        return re.sub(r"(\d+) [+\-*/] (\d+)", r"\1\2", text, count=1)
    if kind == 3:  # a stray character
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(["%", "^", "x", ".", "=", "**", "//", "-", "(", ")", "0", "7", " "]) + text[at:]
    if kind == 4:  # a deleted character
        at = rng.randrange(len(text))
        return text[:at] + text[at + 1:]
    return "-" + text  # a unary sign


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--cases", required=True)
    parser.add_argument("--expected", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases, expected = [], []
    for _ in range(args.count):
        numbers = [rng.randint(1, 20) for _ in range(rng.choice([3, 4]))]
        text = random_expression(rng, numbers)
        try:
            value, _ = evaluate(ast.parse(text, mode="eval"))
        except ZeroDivisionError:
            value = Fraction(1)
        target = int(value) if value.denominator == 1 and rng.random() < 0.8 else rng.randint(1, 100)
        if rng.random() < 0.5:
            text = mutate(rng, text, numbers)
        completion = f"<think>trying</think> <answer>{text}</answer>"
        answer = {"target": target, "numbers": numbers}
        cases.append(json.dumps({"completion": completion, "answer": answer}))
        expected.append(str(score(completion, numbers, target)))
    with open(args.cases, "w") as f:
        f.write("\n".join(cases) + "\n")
    with open(args.expected, "w") as f:
        f.write("\n".join(expected) + "\n")


if __name__ == "__main__":
    main()
