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
CANDIDATES = 400  # best-ranked matches checked for visibility first (plus offset and limit)
WIDEN = 16  # when too few of them are visible: a window this much wider, then every match
SMALL_KIND = 5000  # on SQLite, a kind with fewer documents is ranked apart (see _ranked_small_kind)
# Kinds that make up the bulk of the index by construction: the small-kind check (one query) is
# skipped for them, which keeps the topic page's related-topics search to one query.
LARGE_KINDS = frozenset({"post"})
SMALL_SHARE = 0.25  # ...and under this share of all documents (ids)
RANK_FEW = 100  # scoring a listed rowid costs FTS5 a lookup of its own
FEW = 2000  # on SQLite, newest first sorts up to this many matches, walks the dates beyond
TABLE = SearchDocument._meta.db_table
NEWEST_FIRST = "d.created_at DESC, d.id DESC"
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
    """Ranked documents of one kind the viewer may see, best first (ties: newest first); with
    ``newest``, newest first. One query for the ids (up to three when ranking, see
    ``_ranked``; two newest first on SQLite, see ``_newest``), one for the rows."""
    if not query:
        return []
    filters = filters or Filters()
    where = f"d.kind = %s{visibility.where}{filters.where}"
    where_params = [kind, *visibility.params, *filters.params]
    if newest:
        return _hits(_newest(query, any_term, visibility, where, where_params, offset, limit))
    return _hits(_ranked(query, any_term, kind, visibility, where, where_params, offset, limit))


def _newest(
    query: ParsedQuery,
    any_term: bool,
    visibility: Visibility,
    where: str,
    where_params: list[Any],
    offset: int,
    limit: int,
) -> list[tuple[int, float]]:
    """Ids of a page newest first: no ranking needed. On PostgreSQL the planner chooses between
    walking the documents by date (probing the match) and sorting the GIN matches. SQLite's
    planner cannot see how many documents match, so it is told: up to FEW matches, sort them;
    more, walk the documents by date and probe the set of matches (a common word finds its page
    within the first few hundred documents)."""
    page = f" ORDER BY {NEWEST_FIRST} LIMIT %s OFFSET %s"
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT d.id, 0.0 FROM {TABLE} d"  # noqa: S608
            f" CROSS JOIN to_tsquery('simple', %s) AS q(q){visibility.joins}"
            f" WHERE d.search_vector @@ q.q AND {where}{page}"
        )
        expression = tsquery_expression(query, any_term=any_term)
        return _run(sql, [expression, *where_params, limit, offset])
    expression = fts5_expression(query, any_term=any_term)
    matches = "SELECT rowid AS id FROM search_fts WHERE search_fts MATCH %s"
    count = f"SELECT count(*) < %s FROM ({matches} LIMIT %s)"  # noqa: S608
    ((few,),) = _run(count, [FEW, expression, FEW])
    if few:  # CROSS JOIN keeps the matches as the outer loop
        sql = (
            f"SELECT d.id, 0.0 FROM ({matches}) search_m"  # noqa: S608
            f" CROSS JOIN {TABLE} d ON d.id = search_m.id"
            f"{visibility.joins} WHERE {where}{page}"
        )
    else:  # the unary + keeps the set of matches from driving the loop
        sql = (
            f"SELECT d.id, 0.0 FROM {TABLE} d INDEXED BY search_doc_kind_created"  # noqa: S608
            f"{visibility.joins} WHERE +d.id IN ({matches}) AND {where}{page}"
        )
    return _run(sql, [expression, *where_params, limit, offset])


def _ranked_small_kind(
    query: ParsedQuery,
    any_term: bool,
    kind: str,
    visibility: Visibility,
    where: str,
    where_params: list[Any],
) -> list[tuple[int, float]] | None:
    """SQLite, for a kind with fewer than SMALL_KIND documents that are under SMALL_SHARE of the
    index (members, tags... next to the posts). FTS5 holds every kind, so the best matches of a
    common word are all posts and the windows would find none of this kind. Walk this kind's
    documents instead, probe the set of matches, and rank just the visible ones (at most
    RANK_FEW; None when there are more, or when the kind is large)."""
    count = (
        f"SELECT (SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE kind = %s LIMIT %s)),"  # noqa: S608
        f" (SELECT max(id) FROM {TABLE})"
    )
    ((documents, newest_id),) = _run(count, [kind, SMALL_KIND])
    if documents >= SMALL_KIND or documents > SMALL_SHARE * (newest_id or 0):
        return None  # a large kind, or most of the index: the windows find it
    expression = fts5_expression(query, any_term=any_term)
    visible = (
        f"SELECT d.id, d.created_at FROM {TABLE} d INDEXED BY search_doc_kind_created"  # noqa: S608
        f"{visibility.joins} WHERE +d.id IN"
        f" (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) AND {where} LIMIT %s"
    )
    created = dict(_run(visible, [expression, *where_params, RANK_FEW + 1]))
    if len(created) > RANK_FEW:
        return None
    if not created:
        return []
    scores = _run(
        f"SELECT rowid, bm25(search_fts, {TITLE_WEIGHT}, 1.0) FROM search_fts"  # noqa: S608
        f" WHERE search_fts MATCH %s AND rowid IN ({', '.join(['%s'] * len(created))})",
        [expression, *created],
    )
    scores.sort(key=lambda row: (created[row[0]], row[0]), reverse=True)  # newest first...
    scores.sort(key=lambda row: row[1])  # ...within equal scores (the sort is stable)
    return scores


def _ranked(
    query: ParsedQuery,
    any_term: bool,
    kind: str,
    visibility: Visibility,
    where: str,
    where_params: list[Any],
    offset: int,
    limit: int,
) -> list[tuple[int, float]]:
    """Ids and scores of a page ranked by relevance, computed in windows.

    The full-text index ranks the matches on its own, without joins (FTS5's ``bm25`` ORDER BY
    with a LIMIT; on PostgreSQL ``ts_rank`` over the GIN matches of this kind), and only the best
    ``window`` of them are joined to the live rows for visibility and filters. The page taken from
    the window is the exact answer when the window held every match, or when the page is full and
    its last score is strictly better than the worst score in the window (every match left out
    scores no better than that, so none of them can come first, ties included). Otherwise the
    window grows WIDEN times, and last every match is ranked (the plain query)."""
    postgres = connection.vendor == "postgresql"
    if not postgres and kind not in LARGE_KINDS:
        rows = _ranked_small_kind(query, any_term, kind, visibility, where, where_params)
        if rows is not None:
            return rows[offset : offset + limit]
    if postgres:
        expression = tsquery_expression(query, any_term=any_term)
        score = "ts_rank(d.search_vector, q.q)"
        best_first, worst = "DESC", "min"
        candidates = (
            f"SELECT d.id AS id, {score} AS score FROM {TABLE} d"  # noqa: S608
            " CROSS JOIN to_tsquery('simple', %s) AS q(q)"
            " WHERE d.search_vector @@ q.q AND d.kind = %s ORDER BY score DESC LIMIT %s"
        )
        candidate_params: list[Any] = [expression, kind]
        every = (
            f"SELECT d.id, {score} AS score FROM {TABLE} d"  # noqa: S608
            f" CROSS JOIN to_tsquery('simple', %s) AS q(q){visibility.joins}"
            f" WHERE d.search_vector @@ q.q AND {where}"
        )
    else:
        expression = fts5_expression(query, any_term=any_term)
        score = f"bm25(search_fts, {TITLE_WEIGHT}, 1.0)"
        best_first, worst = "ASC", "max"
        candidates = (
            f"SELECT rowid AS id, {score} AS score FROM search_fts"  # noqa: S608
            " WHERE search_fts MATCH %s ORDER BY score LIMIT %s"
        )
        candidate_params = [expression]
        every = (
            f"SELECT d.id, {score} AS score FROM search_fts"  # noqa: S608
            f" JOIN {TABLE} d ON d.id = search_fts.rowid{visibility.joins}"
            f" WHERE search_fts MATCH %s AND {where}"
        )
    page = f" ORDER BY score {best_first}, {NEWEST_FIRST} LIMIT %s OFFSET %s"
    order = f"score {best_first}, created_at DESC, id DESC"
    windowed = (
        f"WITH search_c AS MATERIALIZED ({candidates}),"  # noqa: S608
        " search_v AS MATERIALIZED (SELECT d.id AS id, search_c.score AS score,"
        f" d.created_at AS created_at FROM search_c JOIN {TABLE} d ON d.id = search_c.id"
        f"{visibility.joins} WHERE {where})"
        " SELECT id, score, created_at, 0 AS tag FROM (SELECT id, score, created_at"
        f" FROM search_v ORDER BY {order} LIMIT %s OFFSET %s) search_p"
        f" UNION ALL SELECT count(*), {worst}(score), NULL,"
        " 1 + (SELECT count(*) FROM search_v) FROM search_c"
        f" ORDER BY tag, {order}"
    )
    needed = offset + limit
    window = CANDIDATES + needed
    for attempt in range(2):
        *rows, (matched, worst_score, _none, visible) = _run(
            windowed, [*candidate_params, window, *where_params, limit, offset]
        )
        page_rows = [(pk, s) for pk, s, _c, _t in rows]
        if matched < window:
            return page_rows  # the window held every match
        if len(rows) == limit and (
            rows[-1][1] > worst_score if postgres else rows[-1][1] < worst_score
        ):
            return page_rows
        if attempt or (visible - 1) * WIDEN < needed:
            break  # a wider window would not be enough either: rank every match
        window *= WIDEN
    return _run(every + page, [expression, *where_params, limit, offset])


def _hits(rows: list[tuple[int, float]]) -> list[Hit]:
    if not rows:
        return []
    # The segmented text is for the index only: hits carry the plain title and body.
    documents = SearchDocument.objects.defer("title_text", "body_text").in_bulk(
        [row[0] for row in rows]
    )
    return [Hit(documents[pk], float(s)) for pk, s in rows if pk in documents]
