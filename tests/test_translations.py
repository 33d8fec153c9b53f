"""Canada is bilingual: every string the product shows has a French translation."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "fr" / "LC_MESSAGES"
SOURCES = [
    "manage.py",
    "situation_table",
    "core",
    "agencies",
    "cases",
    "consent",
    "notifications",
    "reports",
    "templates",
    "locale",
]

needs_gettext = pytest.mark.skipif(
    not shutil.which("xgettext") and not os.environ.get("CI"),
    reason="gettext not installed (apt-get install gettext); CI installs it",
)


def parse_po(path: Path) -> list[dict]:
    """Minimal .po reader: msgid, msgid_plural, msgstr[n], flags (enough for this check)."""
    entries, entry, key = [], {}, None

    def unquote(line):
        return (
            bytes(line.strip()[1:-1], "utf-8")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry:
                entries.append(entry)
            entry, key = {}, None
        elif line.startswith("#,"):
            entry["flags"] = line
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            entry[key] += unquote(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = unquote(value)
    return [e for e in entries if e.get("msgid")]


@needs_gettext
def test_every_string_has_a_french_translation(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_ENV": "test"},
        timeout=300,
    )
    entries = parse_po(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    missing = [
        e["msgid"]
        for e in entries
        if "fuzzy" in e.get("flags", "")
        or not (e.get("msgstr") or e.get("msgstr[0]"))
        or ("msgid_plural" in e and not e.get("msgstr[1]"))
    ]
    assert not missing, f"{len(missing)} strings lack a French translation: {missing[:20]}"


def test_compiled_catalog_matches_the_po_file():
    entries = parse_po(CATALOG / "django.po")
    with open(CATALOG / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def lookup(entry):
        if "msgctxt" in entry:
            return compiled.pgettext(entry["msgctxt"], entry["msgid"])
        return compiled.gettext(entry["msgid"])

    stale = [
        e["msgid"]
        for e in entries
        if "fuzzy" not in e.get("flags", "")
        and "msgid_plural" not in e
        and e.get("msgstr")
        and lookup(e) != e["msgstr"]
    ]
    assert not stale, f"django.mo is out of date (run make messages): {stale[:10]}"
