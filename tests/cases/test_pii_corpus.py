"""The de-identification guard measured on a corpus of realistic de-identified narratives.

``pii_corpus/clean_*.tsv`` holds 246 hand-written situation-table narratives (English, French,
and hard negatives: agency names, hospitals, places, months, acronyms), one per line as
``sector<TAB>text``. The guard must let at least 98 % of them through (false positives ≤ 2 %).
The planted-identifier half of the corpus (names, addresses, phones, dates of birth) comes with
the name recognizer, issue 13 part 6.
"""

from pathlib import Path

from cases.pii import find_identifiers

CORPUS = Path(__file__).parent / "pii_corpus"


def clean_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("clean_*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(line.split("\t", 1)[-1])
    return texts


def test_corpus_is_large_and_bilingual():
    texts = clean_texts()
    assert len(texts) >= 200
    assert len((CORPUS / "clean_fr.tsv").read_text(encoding="utf-8").splitlines()) >= 50


def test_false_positives_on_de_identified_narratives_stay_under_two_percent():
    texts = clean_texts()
    flagged = [t for t in texts if find_identifiers(t)]
    assert len(flagged) / len(texts) <= 0.02, flagged[:10]
