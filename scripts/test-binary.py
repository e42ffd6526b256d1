#!/usr/bin/env python3
"""Prints the path of one integration-test executable of the workspace's test build.

    scripts/test-binary.py PACKAGE TARGET     e.g. scripts/test-binary.py pinsync-store it

Reads `cargo test --workspace --locked --no-run --message-format=json`, which reuses what
`cargo test --workspace` already compiled. CI runs the PostgreSQL passes through these
executables instead of `cargo test -p PACKAGE`, whose narrower feature set would recompile
a good part of the dependency tree.
"""
import json
import subprocess
import sys

package, target = sys.argv[1], sys.argv[2]
metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--locked"],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
)
manifests = [p["manifest_path"] for p in metadata["packages"] if p["name"] == package]
if not manifests:
    sys.exit(f"no package {package!r} in the workspace")
build = subprocess.run(
    ["cargo", "test", "--workspace", "--locked", "--no-run", "--message-format=json"],
    check=True,
    stdout=subprocess.PIPE,
    text=True,
)
for line in build.stdout.splitlines():
    message = json.loads(line)
    if message.get("reason") != "compiler-artifact" or not message.get("executable"):
        continue
    if "test" not in message["target"]["kind"] or message["target"]["name"] != target:
        continue
    if message.get("manifest_path") == manifests[0]:
        print(message["executable"])
        sys.exit(0)
sys.exit(f"no integration test {target!r} in package {package!r}")
