"""Local sources: every format, and every kind of bad input becoming a clear failure."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from mediawatch.config import IngestSettings
from mediawatch.ingest.local import SourceError, check_sources, iter_local, split_front_matter
from mediawatch.records import Failure, RawDocument

SETTINGS = IngestSettings(max_file_bytes=50_000)


def read(*paths: Path) -> tuple[list[RawDocument], list[Failure]]:
    items = list(iter_local([str(p) for p in paths], SETTINGS))
    return (
        [i for i in items if isinstance(i, RawDocument)],
        [i for i in items if isinstance(i, Failure)],
    )


def test_folder_is_read_recursively_in_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.html").write_text("<html><body><p>x</p></body></html>")
    (tmp_path / "b" / "c.txt").write_text("Title\n\nBody text.")
    (tmp_path / "b" / "d.md").write_text("# Heading\n\nMore text.")
    (tmp_path / "b" / "page.htm.gz").write_bytes(gzip.compress(b"<html><p>zipped</p></html>"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("not read")
    docs, failures = read(tmp_path)
    assert [Path(d.origin).name for d in docs] == ["a.html", "c.txt", "d.md", "page.htm.gz"]
    assert failures == []
    assert [d.content_type for d in docs] == ["html", "text", "text", "html"]
    assert docs[0].url == (tmp_path / "a.html").resolve().as_uri()
    assert docs[3].content == b"<html><p>zipped</p></html>"


def test_bad_files_become_failures_and_the_rest_goes_on(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.html").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "huge.txt").write_text("word " * 20_000)
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip at all")
    (tmp_path / "good.txt").write_text("A title\n\nSome text.")
    docs, failures = read(tmp_path)
    assert [Path(d.origin).name for d in docs] == ["good.txt"]
    reasons = {Path(f.origin).name: f.reason for f in failures}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.html"] == "binary content, not text or HTML"
    assert "over the limit of 50,000" in reasons["huge.txt"]
    assert "gzip" in reasons["broken.html.gz"]


def test_a_single_file_of_unknown_type_is_refused_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04")
    docs, failures = read(path)
    assert docs == []
    assert failures[0].reason == "unsupported file type '.docx'"


def test_other_encodings_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes(
        "Café crème à Genève\n\nLa réunion a eu lieu.".encode("cp1252")
    )
    (tmp_path / "utf16.txt").write_bytes("Überschrift\n\nDer Text.".encode("utf-16"))
    docs, failures = read(tmp_path)
    assert failures == []
    assert docs[0].content.startswith("Café crème à Genève")
    assert docs[1].content.startswith("Überschrift")


def test_jsonl_records_and_their_failures(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    lines = [
        json.dumps(
            {
                "url": "https://a.example/1",
                "title": "One",
                "text": "Text one.",
                "published_at": "2026-03-01T10:00:00+01:00",
                "source": "A",
            }
        ),
        "{not json",
        json.dumps({"title": "no url", "text": "x"}),
        json.dumps({"url": "https://a.example/2", "html": "<p>Two</p>"}),
        json.dumps({"url": "https://a.example/1", "text": "again"}),
        json.dumps({"url": "https://a.example/3"}),
        json.dumps({"url": "https://a.example/4", "text": "x", "published_at": "yesterday"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"url": 123, "text": "a number for an address"}),
        json.dumps({"url": "https://a.example/5", "text": "x", "published_at": "0001-01-01"}),
        json.dumps(
            {"url": "https://a.example/6", "text": "x", "published_at": "9999-12-31T23:59:59Z"}
        ),
    ]
    path.write_text("\n".join(lines))
    docs, failures = read(path)
    assert [d.url for d in docs] == ["https://a.example/1", "https://a.example/2"]
    assert docs[0].published_at == datetime(2026, 3, 1, 9, 0)  # stored as UTC
    assert docs[0].source == "A" and docs[0].title == "One"
    assert docs[1].content_type == "html"
    reasons = {f.origin.rsplit(":", 1)[1]: f.reason for f in failures}
    assert reasons["2"].startswith("malformed JSON")
    assert reasons["3"] == "missing 'url'"
    assert reasons["5"] == "duplicate url, already on line 1"
    assert reasons["6"] == "neither 'text' nor 'html' is given"
    assert reasons["7"] == "published_at is not an ISO date: 'yesterday'"
    assert reasons["8"] == "line is not a JSON object"
    assert reasons["10"] == "'url' must be a string, got int 123"
    assert reasons["11"].startswith("published_at '0001-01-01' is out of range (years 1000 to")
    assert reasons["12"].startswith("published_at '9999-12-31T23:59:59Z' is out of range")


def test_csv_records_and_malformed_rows(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "url,title,text,published_at,source\n"
        'https://b.example/1,First,"Text, with a comma",2026-03-02,B\n'
        "https://b.example/2,Second,too,many,fields,here\n"
        ",No URL,text,,\n"
        "https://b.example/3,Third,Text three,,\n"
    )
    docs, failures = read(path)
    assert [d.url for d in docs] == ["https://b.example/1", "https://b.example/3"]
    assert docs[0].content == "Text, with a comma"
    assert docs[0].published_at == datetime(2026, 3, 2)
    assert [f.reason for f in failures] == [
        "malformed CSV row (more fields than the header)",
        "missing 'url'",
    ]


def test_csv_without_url_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("title,text\nA,B\n")
    _, failures = read(path)
    assert failures[0].reason == "CSV header has no 'url' column"


def test_front_matter_carries_date_source_and_url() -> None:
    meta, body = split_front_matter(
        "---\npublished_at: 2026-02-24T16:30:00Z\nsource: 'Gazette'\n"
        "url: https://g.example/a\n---\n# T\n\nBody"
    )
    assert meta == {
        "published_at": "2026-02-24T16:30:00Z",
        "source": "Gazette",
        "url": "https://g.example/a",
    }
    assert body == "# T\n\nBody"
    assert split_front_matter("No front matter\n---\n") == ({}, "No front matter\n---\n")


def test_missing_paths_stop_the_run_before_it_starts(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        check_sources([str(tmp_path / "nowhere")])
