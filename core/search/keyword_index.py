"""The keyword half of the search index: SQLite FTS5 over passage text, and safe queries.

`passages_fts` is a contentless FTS5 table (porter stemming over unicode61, prefix indexes
for 2 and 3 characters) keyed by passage key, with one column per modality, so a modality
filter is a column filter inside FTS5. The text itself lives in `passages`; deleting a row
from the full-text index replays its original values from there. `core.search.index` owns
the database and the transaction; this module owns the text side: what goes into the
full-text index, the vocabulary that completes the word being typed, turning what a user
typed into an FTS5 query that never raises, and ranking with bounded work.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.models.passage import MODALITIES

COLUMNS = tuple(f"m_{m}" for m in MODALITIES)
SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    {', '.join(COLUMNS)}, content='', tokenize='porter unicode61', prefix='2 3');
CREATE TABLE IF NOT EXISTS vocab(word TEXT PRIMARY KEY) WITHOUT ROWID;
"""

RANK_LIMIT = 1_000  # at most this many matches are ranked (BM25 costs 1-3 µs each): the newest ones
ROW_COST, RUN_COST = 2.0, 100.0  # µs to rank a match; to start a query restricted to one key range (1M passages)
MAX_COMPLETIONS = 24  # a last word with more completions than this becomes an FTS5 prefix query
STOPWORDS = frozenset("a an and are as at be but by for from has have he her his i in is it its of on or she that the "
                      "their them they this to was were what when where which who will with you".split())
MIN_PREFIX = 2  # a one-letter prefix would rank a large part of the library: it matches as a word
MAX_TERMS = 32  # words and phrases of a query beyond this are ignored

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # what unicode61 keeps as a token (letters and digits)
_PART = re.compile(r'(-?)"([^"]*)("?)|(-?)([^\s"]+)')


def fold(word: str) -> str:
    """Lowercase without diacritics, as unicode61 folds a token (for the vocabulary)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """The words of `text` as the FTS5 tokenizer splits them (before stemming)."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class _Part:
    words: tuple[str, ...]
    phrase: bool
    negated: bool
    open_end: bool  # the user is still typing its last word


def parse_query(text: str) -> list[_Part]:
    """Split what a user typed into words and "quoted phrases"; `-word` excludes a word.

    An unclosed quote runs to the end. The last word is open (typed further) unless the text
    ends in a space, a punctuation mark or a closing quote; `word*` is open anywhere. A
    chunk such as "state-of-the-art" is several tokens in the index too, so it is a phrase.
    """
    text = unicodedata.normalize("NFKC", text)
    at_end = bool(text) and text[-1].isalnum()
    parts: list[_Part] = []
    for m in _PART.finditer(text):
        if m.group(2) is not None:
            negated, chunk, phrase = m.group(1) == "-", m.group(2), True
            open_end = not m.group(3) and m.end() == len(text) and at_end
        else:
            negated, chunk, phrase = m.group(4) == "-", m.group(5), False
            open_end = chunk.endswith("*") or (m.end() == len(text) and at_end)
        words = tuple(tokens(chunk))
        if words:
            parts.append(_Part(words, phrase or len(words) > 1, negated, open_end and not negated))
    return parts[:MAX_TERMS]


def _quote(words: Sequence[str]) -> str:
    return '"' + " ".join(w.replace('"', "") for w in words) + '"'


def fts_query(text: str, completions: dict[str, list[str] | None] | None = None,
              modalities: Sequence[str] = ()) -> str | None:
    """The FTS5 MATCH expression for `text`, or None when nothing in it can match.

    Every word is quoted (so AND, OR, NOT, NEAR, `*`, `:`, `^` and brackets are plain words),
    all words must occur (except stopwords next to other words: "the" in "the harbour" would
    only cost time and drop "HARBOUR CLOSED"), "phrases" must occur in that order, `-word`
    must not occur, and the last word, while being typed, matches itself or any of its
    `completions` (the library's words that start with it; None if too many to list: then
    a prefix query).
    Completions beat a prefix query twice: the porter stem of a half-typed word is not
    always a prefix of the whole word's stem ("runn", "running": "run"), and FTS5 merges a
    prefix's whole doclist on every query, which a range-restricted query pays again and
    again. With `modalities`, only the text of those modalities matches.
    """
    positive: list[str] = []
    negative: list[str] = []
    parts = parse_query(text)
    if any(not part.negated and not _stopword(part) for part in parts):
        parts = [part for part in parts if not _stopword(part)]
    for part in parts:
        term = _quote(part.words)
        if part.open_end and len(part.words[-1]) >= MIN_PREFIX:
            found = None if part.phrase or completions is None else completions.get(fold(part.words[-1]))
            if found is None:
                term += "*"
            else:
                term = "(" + " OR ".join([term, *(_quote([w]) for w in found if w != fold(part.words[-1]))]) + ")"
        (negative if part.negated else positive).append(term)
    if not positive:
        return None
    query = " AND ".join(positive)
    if negative:
        query = f"({query}) NOT ({' OR '.join(negative)})"
    if modalities:
        query = "{" + " ".join(f"m_{m}" for m in modalities if m in MODALITIES) + "} : (" + query + ")"
    return query


def _stopword(part: _Part) -> bool:
    """A lone stopword, even while typed: "harbour the" searches "harbour" until "thea" is typed."""
    return not part.phrase and fold(part.words[0]) in STOPWORDS


def open_word(text: str) -> str | None:
    """The folded last word of `text` if the user is still typing it (it may be completed)."""
    parts = parse_query(text)
    if parts and parts[-1].open_end and not parts[-1].phrase and len(parts[-1].words[-1]) >= MIN_PREFIX:
        return fold(parts[-1].words[-1])
    return None


Keys = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]


def _columns(modality: str, text: str) -> tuple[str | None, ...]:
    return tuple(text if m == modality else None for m in MODALITIES)


class KeywordIndex:
    """Full-text side of one index database; every method runs inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, rows: Sequence[tuple[int, str, str]], words: set[str] | None = None) -> None:
        """Index (key, modality, text) rows; their words go to the vocabulary, or into `words`
        when given (a rebuild collects them and calls `add_words` once)."""
        self._conn.executemany(f"INSERT INTO passages_fts(rowid, {', '.join(COLUMNS)}) "
                               f"VALUES (?, {', '.join('?' * len(COLUMNS))})",
                               ((key, *_columns(modality, text)) for key, modality, text in rows))
        found = {fold(w) for _, _, text in rows for w in tokens(text) if len(w) > MIN_PREFIX}
        if words is None:
            self.add_words(found)
        else:
            words |= found

    def add_words(self, words: Iterable[str]) -> None:
        self._conn.executemany("INSERT OR IGNORE INTO vocab(word) VALUES (?)", ((w,) for w in words))

    def remove_where(self, where: str, params: Sequence[object]) -> None:
        """Take the passages selected by `where` (over `passages`) out of the full-text index.

        Must run before the rows themselves are deleted: a contentless table needs the
        values it indexed.
        """
        values = ", ".join(f"CASE WHEN modality = '{m}' THEN text END" for m in MODALITIES)
        self._conn.execute(f"INSERT INTO passages_fts(passages_fts, rowid, {', '.join(COLUMNS)}) "
                           f"SELECT 'delete', key, {values} FROM passages WHERE {where}", params)

    def clear(self) -> None:
        """Empty the full-text index and the vocabulary (before a rebuild refills both)."""
        self._conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('delete-all')")
        self._conn.execute("DELETE FROM vocab")

    def completions(self, word: str) -> list[str] | None:
        """The words of the library that start with `word` (None if more than MAX_COMPLETIONS)."""
        found = [r[0] for r in self._conn.execute(
            "SELECT word FROM vocab WHERE word >= ? AND word < ? LIMIT ?",
            (word, word + "\U0010ffff", MAX_COMPLETIONS + 1))]
        return found if len(found) <= MAX_COMPLETIONS else None

    def search(self, text: str, k: int, modalities: Sequence[str], runs: Sequence[tuple[int, int]] | None,
               keep: Callable[[Keys], npt.NDArray[np.bool_]], share: float = 1.0) -> tuple[Keys, Scores]:
        """Keys and scores (-BM25, higher is better) of the best `k` passages for `text`.

        Only passages of `modalities` (all if empty) count, and, when `runs` is given, only
        keys that `keep` accepts: `runs` are key ranges, newest first, that hold every such
        key, and `share` is about how many of the passages those are. `runs` None means no
        such filter.

        A query with more than RANK_LIMIT matches ranks the newest RANK_LIMIT: such a query
        is too common for its ranking to say much, and BM25 over 300,000 rows would take
        ~0.5 s. So work stays bounded: with a filter, a query with few matches ranks them
        all and filters them here; a common one either walks `runs` newest first, or scans
        all matches newest first filtering as it goes (when the filter keeps much of the
        library or is split into many runs), until RANK_LIMIT matches are ranked.
        """
        word = open_word(text)
        query = fts_query(text, {word: self.completions(word)} if word else None, modalities)
        if query is None or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        select = "SELECT rowid, -bm25(passages_fts) AS score FROM passages_fts WHERE passages_fts MATCH ?"
        try:
            if runs is None:  # no video filter (modalities are columns): rank in SQLite, fetch k
                rows = self._conn.execute(f"SELECT * FROM ({select} ORDER BY rowid DESC LIMIT ?) "
                                          "ORDER BY score DESC, rowid DESC LIMIT ?", (query, RANK_LIMIT, k)).fetchall()
                return np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.float32)
            if self._conn.execute(f"SELECT count(*) FROM ({select} LIMIT ?)", (query, RANK_LIMIT + 1)).fetchone()[0] \
                    <= RANK_LIMIT:  # few matches: rank them all
                keys, scores = self._fetch(select, (query,))
            elif RANK_LIMIT / max(share, 1e-6) * ROW_COST < len(runs) * RUN_COST:
                keys, scores = self._scan(select, query, keep, share)
            else:
                keys, scores = self._walk(select, query, runs)
        except sqlite3.OperationalError as exc:  # defence in depth: quoting should leave FTS5 nothing to refuse
            if "fts5" in str(exc) or "syntax" in str(exc):
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            raise
        kept = keep(keys)
        keys, scores = keys[kept], scores[kept]
        order = np.lexsort((-keys, -scores))[:k]  # ties: the newer passage first
        return keys[order], scores[order]

    def _fetch(self, sql: str, params: tuple[object, ...]) -> tuple[Keys, Scores]:
        rows = self._conn.execute(sql, params).fetchall()
        return np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.float32)

    def _walk(self, select: str, query: str, runs: Sequence[tuple[int, int]]) -> tuple[Keys, Scores]:
        """The newest RANK_LIMIT matches inside `runs`, one range-restricted query per run."""
        keys, scores, found = [], [], 0
        for low, high in runs:
            k, s = self._fetch(f"{select} AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?",
                               (query, low, high, RANK_LIMIT - found))
            keys.append(k)
            scores.append(s)
            found += len(k)
            if found >= RANK_LIMIT:
                break
        return np.concatenate(keys), np.concatenate(scores)

    def _scan(self, select: str, query: str, keep: Callable[[Keys], npt.NDArray[np.bool_]],
              share: float) -> tuple[Keys, Scores]:
        """The newest RANK_LIMIT matches that `keep` accepts, scanning newest first in chunks."""
        keys, scores, found, below = [], [], 0, 1 << 62
        while found < RANK_LIMIT:
            chunk = min(max(int((RANK_LIMIT - found) / max(share, 1e-6) * 1.2), 256), 100_000)
            k, s = self._fetch(f"{select} AND rowid < ? ORDER BY rowid DESC LIMIT ?", (query, below, chunk))
            kept = keep(k)
            keys.append(k[kept])
            scores.append(s[kept])
            found += int(kept.sum())
            if len(k) < chunk:
                break
            below = int(k[-1])
        return np.concatenate(keys)[:RANK_LIMIT], np.concatenate(scores)[:RANK_LIMIT]
