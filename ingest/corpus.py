"""Walk a content folder: which study and chapter each markdown file belongs to, and its chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from index.chunks import Chunk
from ingest.chunker import chunk_document
from ingest.errors import IngestError
from ingest.markdown import FrontMatterError, ParsedDocument, parse_markdown

STUDIES_FOLDER = "case-studies"
CHAPTERS = {
    "readme": "overview",
    "index": "overview",
    "overview": "overview",
    "requirements": "requirements",
    "architecture": "architecture",
    "key-decisions": "key-decisions",
    "decisions": "key-decisions",
    "wrap-up": "wrap-up",
}


@dataclass
class SourceFile:
    """One markdown file of the corpus."""

    path: str  # relative to the content folder, POSIX separators
    study: str
    chapter: str
    parsed: ParsedDocument
    sha256: str


@dataclass
class Study:
    """A top-level folder of case-study files (or a lone top-level file)."""

    id: str
    title: str
    front_matter: dict
    files: list[SourceFile] = field(default_factory=list)


def study_of(rel: PurePosixPath) -> str:
    """``case-studies/<id>/...`` or ``<id>/...`` -> ``<id>``; a top-level file is its own study."""
    parts = rel.parts
    if parts[0] == STUDIES_FOLDER and len(parts) > 2:
        return parts[1]
    if len(parts) > 1 and parts[0] != STUDIES_FOLDER:
        return parts[0]
    return rel.stem


def chapter_of(rel: PurePosixPath) -> str:
    """``01-requirements.md`` -> ``requirements``; unknown names keep their stem."""
    stem = rel.stem.lower()
    bare = re.sub(r"^\d+[-_. ]*", "", stem) or stem
    return CHAPTERS.get(bare, bare)


def markdown_files(content_dir: Path) -> tuple[list[Path], list[str]]:
    """Every regular ``*.md`` file under ``content_dir`` (hidden folders skipped), in a stable
    order, and the content-relative names of entries left out because they are not regular
    files or are links resolving outside the content folder."""
    root = content_dir.resolve()
    files: list[Path] = []
    skipped: list[str] = []
    for path in sorted(content_dir.rglob("*.md")):
        rel = path.relative_to(content_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        try:
            target = path.resolve()
            usable = target.is_relative_to(root) and target.is_file()
        except (OSError, RuntimeError):  # a link loop
            usable = False
        if usable:
            files.append(path)
        else:
            skipped.append(rel.as_posix())
    return files, skipped


def load_corpus(content_dir: Path, files: list[Path] | None = None,
                max_file_bytes: int | None = None) -> list[Study]:
    """Parse every markdown file (``files``, by default all of ``markdown_files``) and group
    the files by study; a file over ``max_file_bytes`` is an error naming it."""
    studies: dict[str, Study] = {}
    for file in markdown_files(content_dir)[0] if files is None else files:
        rel = PurePosixPath(file.relative_to(content_dir).as_posix())
        size = file.stat().st_size
        if max_file_bytes is not None and size > max_file_bytes:
            raise IngestError(
                f"{rel}: {size:,} bytes is over the {max_file_bytes:,}-byte limit for one file "
                "(CASEGRAPH_MAX_FILE_BYTES). Split the file or raise the limit."
            )
        raw = file.read_bytes()
        try:
            parsed = parse_markdown(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise IngestError(f"{rel}: not UTF-8 text ({exc})") from exc
        except FrontMatterError as exc:
            raise IngestError(f"{rel}: {exc}") from exc
        sid = study_of(rel)
        source = SourceFile(str(rel), sid, chapter_of(rel), parsed, hashlib.sha256(raw).hexdigest())
        studies.setdefault(sid, Study(sid, "", {})).files.append(source)
    for study in studies.values():
        readme = next((f for f in study.files if f.chapter == "overview"), None)
        ordered = ([readme] if readme else []) + [f for f in study.files if f is not readme]
        study.front_matter = readme.parsed.front_matter if readme else {}
        study.title = next((f.parsed.title for f in ordered if f.parsed.title), None) or (
            study.id.replace("-", " ").strip().title()
        )
    return [studies[k] for k in sorted(studies)]


def make_chunks(study: Study, source: SourceFile) -> list[Chunk]:
    """Chunk one file; ids are stable for unchanged text (path + content hash)."""
    chunks: list[Chunk] = []
    seen: set[str] = set()
    lines = source.parsed.lines
    for span in chunk_document(source.parsed):
        text = "\n".join(lines[span.start:span.end]).strip("\n")
        digest = hashlib.sha1(f"{source.path}\n{text}".encode()).hexdigest()[:10]
        chunk_id = f"{source.path.removesuffix('.md')}#{digest}"
        while chunk_id in seen:
            chunk_id += "+"
        seen.add(chunk_id)
        chunks.append(
            Chunk(
                id=chunk_id,
                path=source.path,
                start_line=span.start + 1,
                end_line=span.start + 1 + text.count("\n"),
                heading_path=span.heading_path,
                study=study.id,
                study_title=study.title,
                chapter=source.chapter,
                text=text,
            )
        )
    return chunks
