"""Everything the package ships cites primary sources, never the development workspace beside the repo."""

from pathlib import Path

import stargate

PACKAGE = Path(stargate.__file__).resolve().parent
TEXT_SUFFIXES = {".toml", ".csv", ".md", ".py"}
WORKSPACE_PATHS = ("shared/", "../shared", "/work/")


def workspace_mentions(root: Path) -> list[str]:
    """``file:line: text`` of every line in a shipped text file that names a workspace path."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in TEXT_SUFFIXES or "__pycache__" in path.parts or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if any(marker in line for marker in WORKSPACE_PATHS):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()[:100]}")
    return found


def test_shipped_text_files_cite_no_workspace_paths():
    mentions = workspace_mentions(PACKAGE)
    assert not mentions, "workspace paths in shipped files:\n" + "\n".join(mentions)


def test_the_check_sees_a_workspace_path(tmp_path):
    (tmp_path / "notes.toml").write_text('sources = ["via shared/reference/energy.md"]\n')
    (tmp_path / "clean.md").write_text("Ember, Yearly Electricity Data (2024)\n")
    assert workspace_mentions(tmp_path) == ['notes.toml:1: sources = ["via shared/reference/energy.md"]']
