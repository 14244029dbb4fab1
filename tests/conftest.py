"""Shared fixtures: the fixture corpus, settings pointing at temp folders, one built index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from api.services import embedder_for, load_index
from index.embedder import Embedder
from index.settings import Settings
from index.store import Index
from ingest.pipeline import ingest

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
REPO = Path(__file__).resolve().parent.parent


def make_settings(content: Path, index: Path, **extra: object) -> Settings:
    return Settings(content_dir=content, index_dir=index, **extra)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return embedder_for(Settings())


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the fixture corpus (tests that edit files make their own)."""
    target = tmp_path_factory.mktemp("corpus") / "content"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def fixture_settings(corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(corpus_copy, tmp_path_factory.mktemp("idx") / "index")


@pytest.fixture(scope="session")
def fixture_index(fixture_settings: Settings, embedder: Embedder) -> Index:
    ingest(fixture_settings.content_dir, fixture_settings.index_dir, embedder, progress=False)
    return load_index(fixture_settings)


def copy_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target
