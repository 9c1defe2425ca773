"""The layering rule of DESIGN.md: each layer imports only the layers drawn above it, and
struct.Struct is created only in binary.py and layout modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "mount_image"
ORDER = ["io", "disc", "sectors", "fs", "view", "fuse", "cli", "__main__"]
SHARED = {"errors", "binary", "__init__"}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 else Path(rel[0]).stem


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = path.relative_to(SRC).parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[:len(package) - node.level + 1])
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:  # "from .. import x" at the top: x names a layer
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mount_image."):
            found.add(node.module.split(".")[1])
    return found


SOURCES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_down(path: Path) -> None:
    layer = _layer(path)
    if layer in SHARED:
        assert _imported_layers(path) <= SHARED, f"{path.name} must not import a layer"
        return
    rank = ORDER.index(layer)
    for other in _imported_layers(path) - SHARED:
        assert other in ORDER, f"{path} imports unknown module {other}"
        assert ORDER.index(other) <= rank, f"{path.relative_to(SRC)} ({layer}) imports {other}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_struct_only_in_layout_modules(path: Path) -> None:
    """struct.Struct( only in binary.py; layouts (make_struct) only in layout.py modules and in
    single-module container formats of disc/ (DESIGN.md: "disc/nrg.py, in one block at its top")."""
    text = path.read_text()
    rel = path.relative_to(SRC)
    if path.name != "binary.py":
        assert "struct.Struct(" not in text, f"{rel} creates a struct.Struct outside binary.py"
    layout_module = path.name == "layout.py" or path.name.startswith("layout_")
    if not layout_module and path.name != "binary.py" and rel.parts[0] != "disc":
        assert "make_struct(" not in text, f"{rel} declares an on-disk structure outside a layout module"


def test_fuse_binding_imported_in_one_place() -> None:
    users = [p for p in SOURCES if "import mfusepy" in p.read_text() or "import fuse\n" in p.read_text()]
    assert [p.relative_to(SRC).as_posix() for p in users] == ["fuse/binding.py"]
