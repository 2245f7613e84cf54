"""Pitboard as a user installs it: a wheel built from this checkout, installed into a fresh virtual environment.

The environment borrows the test environment's dependencies through a .pth line (so nothing is downloaded),
but not its editable install of Pitboard: a .pth line adds a folder to sys.path without running the .pth
files inside it, and the editable install lives in one of those. So `bot` can only come from the wheel.

`python -m tests.wheelenv` (from .ci/run): builds, installs, and runs `pitboard demo --script` in an empty
folder to its end — it waits for the demo's reminder in real time, so it is not part of the pytest suite.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_END = "Class winners"  # the Barcelona race summary, the demo's last message


# What a build never needs: environments, caches, and the build folder an in-tree build leaves (setuptools would
# pack its stale files into the next wheel).
_NOT_SOURCES = shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info", "__pycache__", ".*_cache", "*.db*")


def build_wheel(out: Path) -> Path:
    """`pip wheel . --no-deps`, on a copy of the checkout (the working tree as it is, committed or not)."""
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    return next(out.glob("pitboard-*.whl"))


def install(wheel: Path, venv: Path) -> Path:
    """A fresh venv holding the wheel; returns its bin folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    deps = [p for p in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]} if Path(p).is_dir()]
    (purelib / "pitboard-test-deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def clean_env(workdir: Path) -> dict[str, str]:
    """No PYTHONPATH pointing back at the checkout, no settings from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PITBOARD_", "TELEGRAM_", "PYTHON"))}
    return env | {"PITBOARD_DATABASE": str(workdir / "pitboard.db"), "COLUMNS": "120"}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        bin_dir = install(build_wheel(base), base / "venv")
        empty = base / "empty"
        empty.mkdir()
        run = subprocess.run(
            [str(bin_dir / "pitboard"), "demo", "--script"],
            cwd=empty,
            env=clean_env(empty),
            capture_output=True,
            text=True,
            timeout=300,
        )
        print(run.stdout[-3000:])
        if run.returncode != 0 or DEMO_END not in run.stdout:
            print(f"pitboard demo --script from the wheel failed ({run.returncode}):\n{run.stderr}", file=sys.stderr)
            return 1
        print("pitboard demo --script ran to its end from an installed wheel.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
