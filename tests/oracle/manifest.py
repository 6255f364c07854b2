"""The command line the gradient oracles share: --manifest cases.json (written by a gtest) in,
--out report.json ({"cases": [one report per case]}) out."""
import argparse
import json


def run_manifest(argv, description, compare):
    """Reads the manifest's cases, writes compare(case) for each; returns the exit status."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--manifest", required=True, help="cases.json written by the gtest")
    parser.add_argument("--out", required=True, help="report.json to write")
    args = parser.parse_args(argv)
    with open(args.manifest) as f:
        cases = json.load(f)["cases"]
    report = {"cases": [compare(case) for case in cases]}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0
