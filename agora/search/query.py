"""User text to a safe full-text query, and the one search both backends answer.

User text never reaches FTS syntax: it is cut into tokens (letters, digits and Han words only,
see segment.py) and each token is quoted by us. Quoted parts of the query become phrases;
Latin words of three letters or more match as prefixes ("diffus" finds "diffusion")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from agora.search import segment
from agora.search.models import SearchDocument
from agora.search.registry import Visibility

MAX_QUERY = 300  # characters considered; the rest of a pasted essay is ignored
MAX_TERMS = 16
PREFIX_MIN = 3
TITLE_WEIGHT = 5.0  # bm25 weight of the title column against 1.0 for the body
CANDIDATES = 400  # on SQLite, best-ranked matches checked for visibility before all of them
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False  # only for a single Latin word

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass
class ParsedQuery:
    terms: list[Term] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> list[str]:
        return [w for term in self.terms for w in term.words]


def _word_term(word: str) -> Term:
    prefix = len(word) >= PREFIX_MIN and not segment.is_han(word) and not word.isdigit()
    return Term((word,), prefix=prefix)


def parse(text: str) -> ParsedQuery:
    text = (text or "")[:MAX_QUERY]
    terms: list[Term] = []
    for phrase in _PHRASE.findall(text):
        words = tuple(segment.tokens(phrase))
        if words:
            terms.append(Term(words))
    for word in segment.tokens(_PHRASE.sub(" ", text)):
        terms.append(_word_term(word))
    unique = list(dict.fromkeys(terms))
    return ParsedQuery(unique[:MAX_TERMS])


# --- the two dialects ---------------------------------------------------------------------------


def _fts5_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_expression(query: ParsedQuery, *, any_term: bool = False) -> str:
    parts = []
    for term in query.terms:
        if term.is_phrase:
            parts.append(_fts5_string(" ".join(term.words)))
        else:
            parts.append(_fts5_string(term.words[0]) + ("*" if term.prefix else ""))
    return (" OR " if any_term else " AND ").join(parts)


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_expression(query: ParsedQuery, *, any_term: bool = False) -> str:
    parts = []
    for term in query.terms:
        if term.is_phrase:
            parts.append("(" + " <-> ".join(_lexeme(w) for w in term.words) + ")")
        else:
            parts.append(_lexeme(term.words[0]) + (":*" if term.prefix else ""))
    return (" | " if any_term else " & ").join(parts)


# --- the search ----------------------------------------------------------------------------------


@dataclass
class Hit:
    document: SearchDocument
    score: float


@dataclass
class Filters:
    where: str = ""
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> None:
        self.where += " AND " + sql
        self.params.extend(params)


def _run(sql: str, params: list[Any]) -> list[tuple[int, float]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def search(
    *,
    kind: str,
    query: ParsedQuery,
    visibility: Visibility,
    filters: Filters | None = None,
    newest: bool = False,
    any_term: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> list[Hit]:
    """Ranked documents of one kind the viewer may see: one query for the ids (two at most on
    SQLite, see below), one for the rows."""
    if not query:
        return []
    filters = filters or Filters()
    table = SearchDocument._meta.db_table
    conditions = f"d.kind = %s{visibility.where}{filters.where}"
    condition_params = [kind, *visibility.params, *filters.params]
    page = " LIMIT %s OFFSET %s"
    newest_first = "d.created_at DESC, d.id DESC"
    if connection.vendor == "postgresql":
        order = newest_first if newest else f"score DESC, {newest_first}"
        sql = (
            f"SELECT d.id, ts_rank(d.search_vector, q) AS score"  # noqa: S608
            f" FROM {table} d CROSS JOIN to_tsquery('simple', %s) AS q{visibility.joins}"
            f" WHERE d.search_vector @@ q AND {conditions} ORDER BY {order}{page}"
        )
        params = [tsquery_expression(query, any_term=any_term), *condition_params, limit, offset]
        return _hits(_run(sql, params))
    expression = fts5_expression(query, any_term=any_term)
    if newest:
        # Walk the documents newest first and probe the set of matches: no ranking needed.
        sql = (
            f"SELECT d.id, 0.0 AS score FROM {table} d{visibility.joins}"  # noqa: S608
            " WHERE d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)"
            f" AND {conditions} ORDER BY {newest_first}{page}"
        )
        return _hits(_run(sql, [expression, *condition_params, limit, offset]))
    # Rank the matches inside FTS5 alone (fast), then check visibility and filters on the best
    # CANDIDATES of them; only when too few survive, rank every match the viewer may see.
    score = f"bm25(search_fts, {TITLE_WEIGHT}, 1.0)"
    order = f"score ASC, {newest_first}"
    candidates = CANDIDATES + offset + limit
    sql = (
        f"WITH c AS (SELECT rowid AS id, {score} AS score FROM search_fts"  # noqa: S608
        " WHERE search_fts MATCH %s ORDER BY score LIMIT %s),"
        f" r AS (SELECT d.id, c.score AS score FROM c JOIN {table} d ON d.id = c.id"
        f"{visibility.joins} WHERE {conditions} ORDER BY {order}{page})"
        " SELECT id, score FROM r UNION ALL SELECT -1, count(*) FROM c"
    )
    *rows, (_sentinel, matched) = _run(
        sql, [expression, candidates, *condition_params, limit, offset]
    )
    if len(rows) < limit and matched >= candidates:
        sql = (
            f"SELECT d.id, {score} AS score FROM search_fts"  # noqa: S608
            f" JOIN {table} d ON d.id = search_fts.rowid{visibility.joins}"
            f" WHERE search_fts MATCH %s AND {conditions} ORDER BY {order}{page}"
        )
        rows = _run(sql, [expression, *condition_params, limit, offset])
    return _hits(rows)


def _hits(rows: list[tuple[int, float]]) -> list[Hit]:
    if not rows:
        return []
    documents = SearchDocument.objects.in_bulk([row[0] for row in rows])
    return [Hit(documents[pk], float(s)) for pk, s in rows if pk in documents]
