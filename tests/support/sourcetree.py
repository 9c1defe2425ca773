"""The project's own files, as a clean checkout holds them, for tests that build packages.

From git when the tree is a git checkout; otherwise (a tree unpacked from `git archive`, as CI
may run on) every file but what the build and the tests generate.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Generated, never part of the source (the same as .gitignore lists).
GENERATED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "build", "dist"}
GENERATED_SUFFIXES = (".egg-info", ".pyc")


def project_files(repo: Path) -> list[str]:
    """Relative paths of the project's files below ``repo``."""
    if (repo / ".git").exists():
        proc = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=repo,
                              capture_output=True)
        if proc.returncode == 0:
            return [f for f in proc.stdout.decode().split("\0") if f and (repo / f).is_file()]
    found = []
    for folder, dirs, files in os.walk(repo):
        rel = os.path.relpath(folder, repo)
        dirs[:] = [d for d in dirs if d not in GENERATED_DIRS and not d.endswith(GENERATED_SUFFIXES)
                   and os.path.normpath(os.path.join(rel, d)) != os.path.join("bench", "work")]
        found += [os.path.normpath(os.path.join(rel, f)) for f in files
                  if not f.endswith(GENERATED_SUFFIXES)]
    return sorted(found)
