"""The de-identification guard measured on corpora of realistic situation-table narratives.

``pii_corpus/`` holds, one per line:

- ``clean_*.tsv`` (``[lang<TAB>]sector<TAB>text``): 246 de-identified narratives, English and
  French, with hard negatives (agencies, hospitals, places, months, acronyms). The guard must let
  at least 98 % through (false positives ≤ 2 %).
- ``planted_{en,fr}.tsv`` (``kind<TAB>text``): 264 narratives with one planted name, address,
  phone number or date of birth; about 30 % of the names are Indigenous and 30 % non-European,
  with hyphens, particles, possessives, surname-first, lowercase and capitals. Caught ≥ 95 %.
- ``heldout_*.tsv`` (120 + 120) and ``fresh_*.tsv`` (100 + 100): two more pairs, each written by
  someone who had not seen the recognizer (``*_clean``: ``lang<TAB>text``; ``*_planted``:
  ``kind<TAB>lang<TAB>text``). Measured blind first, then used to fix what they revealed (so
  they are no longer blind: the note of issue 13 gives the first-look rates). The same bars apply.

``python tests/cases/test_pii_corpus.py`` prints the rates and every miss and false positive.
"""

from collections import Counter
from pathlib import Path

import pytest

from cases.pii import find_identifiers

CORPUS = Path(__file__).parent / "pii_corpus"
KINDS = {"name", "address", "phone", "dob"}


def _lines(name: str) -> list[list[str]]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip()]


def clean_texts(pattern: str = "clean_*.tsv") -> list[str]:
    return [row[-1] for path in sorted(CORPUS.glob(pattern)) for row in _lines(path.name)]


def planted(name: str) -> list[tuple[str, str]]:
    """(kind, text) pairs."""
    return [(row[0], row[-1]) for row in _lines(name)]


def caught(rows: list[tuple[str, str]]) -> float:
    return sum(1 for _kind, text in rows if find_identifiers(text)) / len(rows)


def false_positive_rate(texts: list[str]) -> float:
    return sum(1 for text in texts if find_identifiers(text)) / len(texts)


def test_corpora_are_large_bilingual_and_well_formed():
    assert len(clean_texts()) >= 200
    assert len(_lines("clean_fr.tsv")) >= 50
    rows = planted("planted_en.tsv") + planted("planted_fr.tsv")
    assert len(rows) >= 200
    assert {kind for kind, _text in rows} == KINDS
    assert len(planted("planted_fr.tsv")) >= 80
    assert Counter(kind for kind, _text in rows)["name"] >= 120
    for name in ("heldout", "fresh"):
        assert all(len(row) == 3 for row in _lines(f"{name}_planted.tsv"))
        assert all(len(row) == 2 for row in _lines(f"{name}_clean.tsv"))
        assert len(_lines(f"{name}_planted.tsv")) >= 100
        assert len(_lines(f"{name}_clean.tsv")) >= 100


def test_false_positives_on_de_identified_narratives_stay_under_two_percent():
    texts = clean_texts()
    flagged = [t for t in texts if find_identifiers(t)]
    assert len(flagged) / len(texts) <= 0.02, flagged[:10]


@pytest.mark.parametrize("name", ["planted_en.tsv", "planted_fr.tsv"])
def test_planted_identifiers_are_caught_in_each_language(name):
    rows = planted(name)
    missed = [text for _kind, text in rows if not find_identifiers(text)]
    assert 1 - len(missed) / len(rows) >= 0.95, missed


def test_planted_bare_names_are_caught():
    rows = [r for r in planted("planted_en.tsv") + planted("planted_fr.tsv") if r[0] == "name"]
    assert caught(rows) >= 0.95


@pytest.mark.parametrize("name", ["heldout", "fresh"])
def test_independently_written_corpora_meet_the_same_bars(name):
    assert false_positive_rate(clean_texts(f"{name}_clean.tsv")) <= 0.02
    assert caught(planted(f"{name}_planted.tsv")) >= 0.95


def report() -> None:  # pragma: no cover - a developer's tool
    sets = {
        "development": (clean_texts(), planted("planted_en.tsv") + planted("planted_fr.tsv")),
        "held out": (clean_texts("heldout_clean.tsv"), planted("heldout_planted.tsv")),
        "fresh": (clean_texts("fresh_clean.tsv"), planted("fresh_planted.tsv")),
    }
    for label, (clean, rows) in sets.items():
        print(f"== {label}")
        flagged = [t for t in clean if find_identifiers(t)]
        print(f"false positives: {len(flagged)}/{len(clean)} ({len(flagged) / len(clean):.1%})")
        for text in flagged:
            print("  FP", find_identifiers(text), text)
        for kind in sorted(KINDS):
            subset = [r for r in rows if r[0] == kind]
            print(f"caught {kind}: {caught(subset):.1%} of {len(subset)}")
        print(f"caught overall: {caught(rows):.1%} of {len(rows)}")
        for kind, text in rows:
            if not find_identifiers(text):
                print("  MISS", kind, text)


if __name__ == "__main__":  # pragma: no cover
    import os
    import sys

    import django

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")
    os.environ.setdefault("DJANGO_ENV", "test")
    django.setup()
    report()
