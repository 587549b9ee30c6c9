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
        if len(words) == 1:
            terms.append(Term(words))
        elif words:
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
    """Ranked documents of one kind the viewer may see: one query for the ids, one for the rows."""
    if not query:
        return []
    filters = filters or Filters()
    table = SearchDocument._meta.db_table
    if connection.vendor == "postgresql":
        score = "ts_rank(d.search_vector, q)"
        source = f"{table} d CROSS JOIN to_tsquery('simple', %s) AS q"
        match = "d.search_vector @@ q"
        expression = tsquery_expression(query, any_term=any_term)
        order = "score DESC"
    else:
        score = f"bm25(search_fts, {TITLE_WEIGHT}, 1.0)"
        source = f"search_fts JOIN {table} d ON d.id = search_fts.rowid"
        match = "search_fts MATCH %s"
        expression = fts5_expression(query, any_term=any_term)
        order = "score ASC"
    if newest:
        order = "d.created_at DESC, d.id DESC"
    else:
        order += ", d.created_at DESC, d.id DESC"
    sql = (
        f"SELECT d.id, {score} AS score FROM {source}{visibility.joins}"
        f" WHERE {match} AND d.kind = %s{visibility.where}{filters.where}"
        f" ORDER BY {order} LIMIT %s OFFSET %s"
    )
    params = [expression, kind, *visibility.params, *filters.params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    documents = SearchDocument.objects.in_bulk([row[0] for row in rows])
    return [Hit(documents[pk], float(s)) for pk, s in rows if pk in documents]
