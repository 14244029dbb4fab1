"""The PostgreSQL store: pgvector (HNSW), full-text and BM25 tables, the graph in plain tables.

Every published version gets its own tables (``casegraph_v<N>_chunks``, ``_mentions``,
``_lexicon``, ``_postings``, ``_nodes``, ``_edges``), written in one transaction that also flips the single
row of ``casegraph_active``. Servers poll that row and open the new version; a store object
stays pinned to its version, so a request finishes on the version it started with. Versions
retired more than ``CASEGRAPH_STORE_GRACE_S`` seconds ago are dropped by the next publish.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import networkx as nx
import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from index.chunks import Chunk
from index.graph import KnowledgeGraph
from index.lexical import BM25_B, BM25_K1, term_counts, tokenize
from index.manifest import IndexLoadError, Manifest
from index.settings import Settings
from index.stores import Build, Filters, Ranked

HNSW_EF_SEARCH = 200
PUBLISH_LOCK = 7_140_014  # advisory lock id: one publish at a time per database

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS casegraph_versions (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    manifest jsonb NOT NULL,
    n_chunks integer NOT NULL,
    avgdl double precision NOT NULL
);
CREATE TABLE IF NOT EXISTS casegraph_active (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL REFERENCES casegraph_versions (id)
);
"""

VERSION_TABLES = """
CREATE TABLE {chunks} (
    chunk_row integer PRIMARY KEY,
    id text NOT NULL UNIQUE,
    path text NOT NULL,
    start_line integer NOT NULL,
    end_line integer NOT NULL,
    heading_path jsonb NOT NULL,
    heading text NOT NULL,
    study text NOT NULL,
    study_title text NOT NULL,
    chapter text NOT NULL,
    text text NOT NULL,
    concepts jsonb NOT NULL,
    embed_hash text NOT NULL,
    embedding vector({dimension}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        to_tsvector('english'::regconfig, study_title || ' ' || heading || ' ' || text)
    ) STORED
);
CREATE TABLE {mentions} (concept text NOT NULL, chunk_row integer NOT NULL,
                         PRIMARY KEY (concept, chunk_row));
CREATE TABLE {lexicon} (term text PRIMARY KEY, df integer NOT NULL);
CREATE TABLE {postings} (term text PRIMARY KEY, rows integer[] NOT NULL,
                         weights double precision[] NOT NULL);
CREATE TABLE {nodes} (pos integer PRIMARY KEY, node text NOT NULL, attrs jsonb NOT NULL);
CREATE TABLE {edges} (pos integer PRIMARY KEY, src text NOT NULL, dst text NOT NULL,
                      key jsonb NOT NULL, attrs jsonb NOT NULL);
"""

VERSION_INDEXES = """
CREATE INDEX ON {chunks} USING hnsw (embedding vector_ip_ops);
CREATE INDEX ON {chunks} USING gin (tsv);
CREATE INDEX ON {chunks} (study);
CREATE INDEX ON {chunks} (chapter);
"""

CHUNK_COLUMNS = ("chunk_row", "id", "path", "start_line", "end_line", "heading_path", "heading",
                 "study", "study_title", "chapter", "text", "concepts", "embed_hash",
                 "embedding")
CHUNK_TYPES = ("int4", "text", "text", "int4", "int4", "jsonb", "text", "text", "text", "text",
               "text", "jsonb", "text", "vector")
READ_COLUMNS = sql.SQL(
    "chunk_row, id, path, start_line, end_line, heading_path, study, study_title, chapter, text, "
    "concepts, embed_hash"
)

# A term's postings are one row: the chunk rows holding it and their BM25 term weights (tf and
# length normalisation, fixed at publish). A query reads one row per query term, scales the
# weights by the term's idf (computed once per term: MATERIALIZED) and sums them per chunk.
BM25_QUERY = """
WITH w AS MATERIALIZED (
    SELECT l.term, q.times * ln(1 + (%(n)s::float8 - l.df + 0.5) / (l.df + 0.5::float8)) AS idf
    FROM (SELECT term, count(*) AS times FROM unnest(%(tokens)s::text[]) AS t(term)
          GROUP BY term) AS q
    JOIN {lexicon} AS l USING (term))
SELECT u.chunk_row, sum(w.idf * u.weight) AS score
FROM w JOIN {postings} AS p USING (term),
     unnest(p.rows, p.weights) AS u(chunk_row, weight) {where}
GROUP BY u.chunk_row
ORDER BY score DESC, u.chunk_row
LIMIT %(k)s
"""

TS_RANK_QUERY = """
SELECT c.chunk_row, ts_rank(c.tsv, q.query) AS score
FROM {chunks} AS c,
     (SELECT replace(replace(plainto_tsquery('english', %(text)s)::text, '<->', '|'), '&', '|')
             ::tsquery AS query) AS q
WHERE c.tsv @@ q.query {where}
ORDER BY score DESC, c.chunk_row
LIMIT %(k)s
"""


def _tables(version: int) -> dict[str, sql.Identifier]:
    return {name: sql.Identifier(f"casegraph_v{version}_{name}")
            for name in ("chunks", "mentions", "lexicon", "postings", "nodes", "edges")}


def _configure(conn: psycopg.Connection) -> None:
    register_vector(conn)
    conn.execute("SELECT set_config('hnsw.ef_search', %s, false), "
                 "set_config('hnsw.iterative_scan', 'relaxed_order', false)",
                 (str(HNSW_EF_SEARCH),))


class PostgresStore:
    """One version's tables, read through the backend's connection pool."""

    def __init__(self, pool: ConnectionPool, version: int, manifest: Manifest, n_chunks: int,
                 lexical_mode: str):
        self.version = str(version)
        self.manifest = manifest
        self._pool = pool
        self._t = _tables(version)
        self._n = n_chunks
        self._lexical_mode = lexical_mode
        self._graph = KnowledgeGraph(self._read_graph())

    def _rows(self, query: sql.Composable, params: Any = None) -> list[tuple]:
        with self._pool.connection() as conn:
            return conn.execute(query, params).fetchall()

    def _where(self, filters: Filters) -> tuple[sql.Composable, dict[str, str]]:
        """``AND ...`` conditions on chunks ``c`` for the filters, and their parameters."""
        parts: list[sql.Composable] = []
        params: dict[str, str] = {}
        if filters.study:
            parts.append(sql.SQL("c.study = %(study)s"))
            params["study"] = filters.study
        if filters.chapter:
            parts.append(sql.SQL("c.chapter = %(chapter)s"))
            params["chapter"] = filters.chapter
        if filters.concept:
            parts.append(sql.SQL("EXISTS (SELECT 1 FROM {m} AS m WHERE m.chunk_row = c.chunk_row "
                                 "AND m.concept = %(concept)s)").format(m=self._t["mentions"]))
            params["concept"] = filters.concept
        where = sql.SQL("").join(sql.SQL(" AND ") + p for p in parts)
        return where, params

    def dense(self, vector: np.ndarray, k: int, filters: Filters) -> Ranked:
        where, params = self._where(filters)
        query = sql.SQL(
            "SELECT c.chunk_row, -(c.embedding <#> %(v)s) AS score FROM {chunks} AS c "
            "WHERE true {where} ORDER BY c.embedding <#> %(v)s LIMIT %(k)s"
        ).format(chunks=self._t["chunks"], where=where)
        rows = self._rows(query, {**params, "v": np.asarray(vector, dtype="float32"), "k": k})
        # the iterative index scan may return neighbours slightly out of order
        return Ranked.of(sorted(((int(r), float(s)) for r, s in rows),
                                key=lambda x: (-x[1], x[0])))

    def lexical(self, query: str, k: int, filters: Filters) -> Ranked:
        where, params = self._where(filters)
        if self._lexical_mode == "ts_rank":
            statement = sql.SQL(TS_RANK_QUERY).format(chunks=self._t["chunks"], where=where)
            params |= {"text": query, "k": k}
        else:
            tokens = tokenize([query])[0]
            if not tokens:
                return Ranked.of([])
            # a semi-join on the filtered rows: one hash of the allowed rows, probed per posting
            allowed = (sql.SQL("WHERE u.chunk_row IN (SELECT c.chunk_row FROM {chunks} AS c "
                               "WHERE true ").format(chunks=self._t["chunks"]) + where
                       + sql.SQL(")")) if filters else sql.SQL("")
            statement = sql.SQL(BM25_QUERY).format(postings=self._t["postings"], where=allowed,
                                                   lexicon=self._t["lexicon"])
            params |= {"tokens": tokens, "n": self._n, "k": k}
        return Ranked.of((int(r), float(s)) for r, s in self._rows(statement, params) if s > 0)

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        if not rows:
            return []
        found = self._rows(sql.SQL("SELECT {cols} FROM {chunks} WHERE chunk_row = ANY(%s)").format(
            cols=READ_COLUMNS, chunks=self._t["chunks"]), (list(rows),))
        by_row = {r[0]: _chunk(r) for r in found}
        return [by_row[r] for r in rows]

    def chunk(self, chunk_id: str) -> Chunk | None:
        found = self._rows(sql.SQL("SELECT {cols} FROM {chunks} WHERE id = %s").format(
            cols=READ_COLUMNS, chunks=self._t["chunks"]), (chunk_id,))
        return _chunk(found[0]) if found else None

    def all_chunks(self) -> list[Chunk]:
        return [_chunk(r) for r in self._rows(sql.SQL("SELECT {cols} FROM {chunks} ORDER BY chunk_row")
                                              .format(cols=READ_COLUMNS, chunks=self._t["chunks"]))]

    def facets(self) -> tuple[set[str], set[str]]:
        studies, chapters = self._rows(sql.SQL(
            "SELECT coalesce(array_agg(DISTINCT study), '{{}}'), "
            "coalesce(array_agg(DISTINCT chapter), '{{}}') FROM {chunks}"
        ).format(chunks=self._t["chunks"]))[0]
        return set(studies), set(chapters)

    def document_frequencies(self) -> tuple[int, dict[str, int]]:
        rows = self._rows(sql.SQL("SELECT term, df FROM {lexicon}").format(
            lexicon=self._t["lexicon"]))
        return self._n, dict(rows)

    def graph(self) -> KnowledgeGraph:
        return self._graph

    def _read_graph(self) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        for node, attrs in self._rows(sql.SQL("SELECT node, attrs FROM {nodes} ORDER BY pos")
                                      .format(nodes=self._t["nodes"])):
            graph.add_node(node, **attrs)
        for src, dst, key, attrs in self._rows(
                sql.SQL("SELECT src, dst, key, attrs FROM {edges} ORDER BY pos")
                .format(edges=self._t["edges"])):
            graph.add_edge(src, dst, key=key, **attrs)
        return graph


def _chunk(row: tuple) -> Chunk:
    (_, chunk_id, path, start, end, heading_path, study, study_title, chapter, text, concepts,
     embed_hash) = row
    return Chunk(id=chunk_id, path=path, start_line=start, end_line=end,
                 heading_path=heading_path, study=study, study_title=study_title,
                 chapter=chapter, text=text, concepts=concepts, embed_hash=embed_hash)


class PostgresBackend:
    """A PostgreSQL database holding index versions, one of them active."""

    def __init__(self, url: str, pool: ConnectionPool, lexical_mode: str = "bm25",
                 grace_s: float = 600.0):
        self.url = url
        self.pool = pool
        self.lexical_mode = lexical_mode
        self.grace_s = grace_s

    @classmethod
    def connect(cls, url: str, settings: Settings) -> PostgresBackend:
        """Create the schema if needed and open a connection pool."""
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SELECT pg_advisory_lock(%s)", (PUBLISH_LOCK,))
                conn.execute(SCHEMA)
        except psycopg.OperationalError as exc:
            raise IndexLoadError(
                f"Cannot reach PostgreSQL at {_describe(url)} ({exc}). "
                "Check CASEGRAPH_STORE_URL and that the server is running."
            ) from exc
        pool = ConnectionPool(url, min_size=1, max_size=settings.store_pool_size,
                              kwargs={"autocommit": True}, configure=_configure, open=True,
                              name="casegraph")
        return cls(url, pool, settings.pg_lexical, settings.store_grace_s)

    def describe(self) -> str:
        return _describe(self.url)

    def close(self) -> None:
        self.pool.close()

    def _version(self, version: int | None = None) -> tuple[int, Manifest, int] | None:
        """Id, manifest and chunk count of ``version`` (default: the active one)."""
        query = ("SELECT id, manifest, n_chunks FROM casegraph_versions WHERE id = "
                 + ("%s" if version is not None else "(SELECT version FROM casegraph_active)"))
        with self.pool.connection() as conn:
            row = conn.execute(query, (version,) if version is not None else None).fetchone()
        if row is None:
            return None
        found, manifest, n_chunks = row
        return found, Manifest(**manifest), n_chunks

    def active_version(self) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT version FROM casegraph_active").fetchone()
        return str(row[0]) if row else None

    def active_manifest(self) -> tuple[str, Manifest]:
        found = self._version()
        if found is None:
            raise IndexLoadError(f"No casegraph index in {self.describe()}. "
                                 "Build one with: casegraph ingest")
        return str(found[0]), found[1]

    def open(self, search: bool = True, version: str | None = None) -> PostgresStore:
        """A store pinned to the active version, or to ``version`` while it still exists
        (searching reads the database, so ``search`` changes nothing here)."""
        found = self._version(None if version is None else int(version))
        if found is None:
            raise IndexLoadError(
                f"No casegraph index {'version ' + version + ' ' if version else ''}in "
                f"{self.describe()}. Build one with: casegraph ingest"
            )
        number, manifest, n_chunks = found
        with self.pool.connection() as conn:
            weighted = conn.execute(
                "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) "
                "AND attname = 'weights' AND NOT attisdropped", (f"casegraph_v{number}_postings",)
            ).fetchone()
        if weighted is None:
            raise IndexLoadError(
                f"Index version {number} in {self.describe()} was written by an older casegraph "
                "(it has no BM25 postings table with term weights). Re-ingest: casegraph ingest"
            )
        return PostgresStore(self.pool, number, manifest, n_chunks, self.lexical_mode)

    def cached_vectors(self, model_name: str, dimension: int) -> dict[str, np.ndarray]:
        active = self._version()
        if active is None:
            return {}
        version, manifest, _ = active
        try:
            manifest.check_compatible(model_name, dimension)
        except IndexLoadError:
            return {}
        query = sql.SQL("SELECT embed_hash, embedding FROM {chunks} WHERE embed_hash <> ''")
        with self.pool.connection() as conn:
            rows = conn.execute(query.format(chunks=_tables(version)["chunks"])).fetchall()
        return {h: np.asarray(v.to_numpy(), dtype="float32") for h, v in rows}

    def publish(self, build: Build) -> str:
        counts = term_counts([c.embedding_text() for c in build.chunks])
        lengths = [sum(tc.values()) for tc in counts]
        avgdl = float(np.mean(lengths)) if lengths and sum(lengths) else 1.0
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,))
            version = conn.execute(
                "INSERT INTO casegraph_versions (manifest, n_chunks, avgdl) VALUES (%s, %s, %s) "
                "RETURNING id", (Jsonb(asdict(build.manifest)), len(build.chunks), avgdl)
            ).fetchone()[0]
            t = _tables(version)
            conn.execute(sql.SQL(VERSION_TABLES).format(dimension=sql.Literal(
                build.manifest.dimension), **t))
            _copy_chunks(conn, t["chunks"], build)
            _copy_rows(conn, t["mentions"], ("concept", "chunk_row"), ("text", "int4"),
                       {(cid, row) for row, c in enumerate(build.chunks) for cid in c.concepts})
            postings = _postings(counts, lengths, avgdl)
            _copy_rows(conn, t["lexicon"], ("term", "df"), ("text", "int4"),
                       ((term, len(rows)) for term, (rows, _) in postings.items()))
            _copy_rows(conn, t["postings"], ("term", "rows", "weights"),
                       ("text", "int4[]", "float8[]"),
                       ((term, rows.tolist(), weights.tolist())
                        for term, (rows, weights) in postings.items()))
            _copy_rows(conn, t["nodes"], ("pos", "node", "attrs"), ("int4", "text", "jsonb"),
                       ((i, n, Jsonb(d)) for i, (n, d) in enumerate(build.graph.nodes(data=True))))
            _copy_rows(conn, t["edges"], ("pos", "src", "dst", "key", "attrs"),
                       ("int4", "text", "text", "jsonb", "jsonb"),
                       ((i, u, v, Jsonb(key), Jsonb(d)) for i, (u, v, key, d)
                        in enumerate(build.graph.edges(keys=True, data=True))))
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            conn.execute(sql.SQL(VERSION_INDEXES).format(**t))
            for table in t.values():  # plans for the first queries, before autovacuum runs
                conn.execute(sql.SQL("ANALYZE {}").format(table))
            conn.execute("UPDATE casegraph_versions SET retired_at = now() WHERE id IN "
                         "(SELECT version FROM casegraph_active)")
            conn.execute("INSERT INTO casegraph_active (singleton, version) VALUES (true, %s) "
                         "ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version",
                         (version,))
        self.drop_retired()
        return str(version)

    def drop_retired(self, grace_s: float | None = None) -> list[int]:
        """Drop versions retired more than the grace period ago; the ids dropped."""
        grace = self.grace_s if grace_s is None else grace_s
        with self.pool.connection() as conn, conn.transaction():
            old = [r[0] for r in conn.execute(
                "SELECT id FROM casegraph_versions WHERE retired_at IS NOT NULL "
                "AND retired_at < now() - make_interval(secs => %s) "
                "AND id NOT IN (SELECT version FROM casegraph_active)", (grace,))]
            for version in old:
                for table in _tables(version).values():
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
                conn.execute("DELETE FROM casegraph_versions WHERE id = %s", (version,))
        return old


def _postings(counts: list[dict[str, int]], lengths: list[int],
              avgdl: float) -> dict[str, tuple[array, array]]:
    """Each term's chunk rows (ascending) and BM25 term weights there: Lucene's
    ``tf / (tf + k1 * (1 - b + b * length / avgdl))``, which a query scales by the term's idf."""
    postings: dict[str, tuple[array, array]] = {}
    for row, (tc, length) in enumerate(zip(counts, lengths, strict=True)):
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / avgdl)
        for term, tf in tc.items():
            rows, weights = postings.setdefault(term, (array("i"), array("d")))
            rows.append(row)
            weights.append(tf / (tf + norm))
    return postings


def _copy_chunks(conn: psycopg.Connection, table: sql.Identifier, build: Build) -> None:
    rows = (
        (row, c.id, c.path, c.start_line, c.end_line, Jsonb(c.heading_path), c.heading, c.study,
         c.study_title, c.chapter, c.text, Jsonb(c.concepts), c.embed_hash,
         np.asarray(vector, dtype="float32"))
        for row, (c, vector) in enumerate(zip(build.chunks, build.vectors, strict=True))
    )
    _copy_rows(conn, table, CHUNK_COLUMNS, CHUNK_TYPES, rows)


def _copy_rows(conn: psycopg.Connection, table: sql.Identifier, columns: Sequence[str],
               types: Sequence[str], rows: Any) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT BINARY)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    with conn.cursor().copy(statement) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def _describe(url: str) -> str:
    """The URL's server and database, without credentials."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured PostgreSQL database"
    host = parts.get("host") or "localhost"
    return f"postgresql://{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"
