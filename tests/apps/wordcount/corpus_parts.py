"""A small corpus with the awkward cases: Unicode, undecodable bytes, CRLF, no final
newline, an empty file, a file bigger than a shard, and files the folder walk skips."""

from __future__ import annotations

from pathlib import Path

TEXTS = {
    "a.py": "def the_answer():\n    return 42  # The answer, THE answer\n",
    "b.txt": "Straße straße STRASSE; naïve café — Δέλτα δέλτα\r\nfoo_bar foo bar\r\n",
    "c.rst": "no final newline here, no no",
    "empty.txt": "",
    "sub/d.py": "\n".join(f"line {i} word{i % 7} the quick brown fox" for i in range(400)),
    "sub/deeper/e.txt": "café " * 300,
}


def make_corpus(root: Path) -> Path:
    for name, text in TEXTS.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (root / "bytes.txt").write_bytes(b"good \xff\xfe bad\xc3 bytes caf\xc3\xa9\n")
    (root / "skip.bin").write_bytes(b"not a text suffix")
    (root / "site-packages").mkdir()
    (root / "site-packages" / "x.py").write_text("skipped words")
    return root
