"""User text to a safe full-text query, and the one search both backends answer.

User text never reaches FTS syntax: it is cut into tokens (letters, digits and Han words only,
see segment.py) and each token is quoted by us. Quoted parts of the query become phrases;
Latin words of three letters or more match as prefixes ("diffus" finds "diffusion")."""

from __future__ import annotations

import math
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
# Natural-language queries ("用 Stable Diffusion 生成图像", "how do I train a lora"): when no
# document holds every word, the search falls back to relevance over the query's content words.
# Function words are dropped; a word in COMMON_SHARE or more of the documents is optional (it
# ranks, it does not select); a document must hold at least one of the rarer words, and rarer
# words weigh more (bm25's IDF on SQLite, an explicit log(N/df) weight on PostgreSQL).
COMMON_SHARE = 0.05
COMMON_MIN = 20  # ...but in a small index a word needs this many documents to be common
RELAX_MIN = 3  # content words a query needs for the relevance fallback
# English and Chinese function words (question words, particles, pronouns, "use/with/how").
_STOPWORDS = """a an and are as at be by can could do does for from how i if in into is it its me my
    of on or should so than that the their then there these this to use using was we what
    when where which who why will with would you your
    的 了 是 在 和 与 及 或 用 把 被 将 对 从 给 让 使用 如何 怎么 怎样 怎么样 为什么 什么 哪些 哪个
    吗 呢 吧 啊 一个 一下 一些 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 就 也 都 要 会 能 可以
    有 没有 请问 进行"""
STOPWORDS = frozenset(_STOPWORDS.split())
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


@dataclass(frozen=True)
class Match:
    """What selects and ranks the documents: the backend's match expression, and on PostgreSQL
    the score (SQL and its parameters; None: ts_rank of the expression)."""

    expression: str
    score: str | None = None
    score_params: tuple[Any, ...] = ()


def strict(query: ParsedQuery, any_term: bool = False) -> Match:
    if connection.vendor == "postgresql":
        return Match(tsquery_expression(query, any_term=any_term))
    return Match(fts5_expression(query, any_term=any_term))


def content_terms(query: ParsedQuery) -> list[Term]:
    """The terms that say what is sought: phrases, and words that are not function words (all
    of them when every word is one)."""
    content = [t for t in query.terms if t.is_phrase or t.words[0] not in STOPWORDS]
    return content or list(query.terms)


def _document_counts(terms: list[Term], cap: int) -> list[int]:
    """How many documents hold each term, counted up to `cap`: one statement."""
    if connection.vendor == "postgresql":
        one = (
            f"(SELECT count(*) FROM (SELECT 1 FROM {TABLE} d WHERE d.search_vector"  # noqa: S608
            " @@ to_tsquery('simple', %s) LIMIT %s) search_n)"
        )
        expressions = [tsquery_expression(ParsedQuery([t])) for t in terms]
    else:
        one = "(SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH %s LIMIT %s))"
        expressions = [fts5_expression(ParsedQuery([t])) for t in terms]
    params = [value for expression in expressions for value in (expression, cap)]
    return list(_run(f"SELECT {', '.join([one] * len(terms))}", params)[0])


def fallbacks(query: ParsedQuery) -> list[Match]:
    """What a query falls back to, in order, when nothing holds every one of its words: every
    content word (the function words dropped), then for three content words or more the
    relevance search over them (`relaxed`). Empty for a query with nothing to drop or relax
    (one or two content words must all match: "旧名字" is 旧 + 名字, not either)."""
    content = ParsedQuery(content_terms(query))
    found = []
    if content.terms != query.terms:
        found.append(strict(content))
    if len(content.terms) >= RELAX_MIN:
        found.append(relaxed(content))
    return found


def relaxed(query: ParsedQuery) -> Match:
    """Documents holding any of the query's rarer words, ranked by all of them with the
    rarest weighing most."""
    terms = list(query.terms)
    total = _run(f"SELECT max(id) FROM {TABLE}", [])[0][0] or 0  # noqa: S608
    cap = max(COMMON_MIN, int(COMMON_SHARE * total))
    counts = _document_counts(terms, cap)
    rare = [t for t, n in zip(terms, counts, strict=True) if 0 < n < cap]
    if not rare:  # every content word is common (or absent): any of them selects
        rare = [t for t, n in zip(terms, counts, strict=True) if n] or terms
    found = [t for t, n in zip(terms, counts, strict=True) if n]
    selecting, ranking = ParsedQuery(rare), ParsedQuery(found or terms)
    if connection.vendor == "postgresql":
        # ts_rank knows nothing of rarity: each word found adds log(N / documents holding it).
        weights, params = [], []
        for term, n in zip(terms, counts, strict=True):
            if n:
                weights.append(
                    f" + {math.log(max(total, 1) / n) + 0.01:.4f}"
                    " * (d.search_vector @@ to_tsquery('simple', %s))::int"
                )
                params.append(tsquery_expression(ParsedQuery([term])))
        score = f"(ts_rank(d.search_vector, q.q){''.join(weights)})"
        return Match(tsquery_expression(selecting, any_term=True), score, tuple(params))
    expression = fts5_expression(selecting, any_term=True)
    if len(ranking.terms) > len(selecting.terms):
        # The common words join the expression so bm25 counts them, without selecting more.
        expression = f"({expression}) AND ({fts5_expression(ranking, any_term=True)})"
    return Match(expression)


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

    def ids(match: Match, offset: int, limit: int) -> list[tuple[int, float]]:
        if newest:
            return _newest(match, visibility, where, where_params, offset, limit)
        return _ranked(match, kind, visibility, where, where_params, offset, limit)

    whole = strict(query, any_term)
    rows = ids(whole, offset, limit)
    if rows or any_term or len(query.terms) < 2:
        return _hits(rows)
    for match in [whole, *fallbacks(query)]:
        if match is not whole:
            rows = ids(match, offset, limit)
            if rows:
                return _hits(rows)
        if offset and ids(match, 0, 1):
            return []  # past the end of what this match finds: the later ones are not asked
    return []


def _newest(
    match: Match,
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
        return _run(sql, [match.expression, *where_params, limit, offset])
    expression = match.expression
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
    match: Match,
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
    expression = match.expression
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
    match: Match,
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
        rows = _ranked_small_kind(match, kind, visibility, where, where_params)
        if rows is not None:
            return rows[offset : offset + limit]
    if postgres:
        expression = match.expression
        score = match.score or "ts_rank(d.search_vector, q.q)"
        score_params = list(match.score_params)
        best_first, worst = "DESC", "min"
        candidates = (
            f"SELECT d.id AS id, {score} AS score FROM {TABLE} d"  # noqa: S608
            " CROSS JOIN to_tsquery('simple', %s) AS q(q)"
            " WHERE d.search_vector @@ q.q AND d.kind = %s ORDER BY score DESC LIMIT %s"
        )
        candidate_params: list[Any] = [*score_params, expression, kind]
        every = (
            f"SELECT d.id, {score} AS score FROM {TABLE} d"  # noqa: S608
            f" CROSS JOIN to_tsquery('simple', %s) AS q(q){visibility.joins}"
            f" WHERE d.search_vector @@ q.q AND {where}"
        )
    else:
        expression = match.expression
        score_params = []
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
    return _run(every + page, [*score_params, expression, *where_params, limit, offset])


def count(*, kind: str, match: Match, visibility: Visibility, cap: int) -> int:
    """How many documents of a kind the viewer may see match, counted up to `cap` (one query).
    The bulk kinds are walked from the matches, the small ones from their own documents."""
    where = f"d.kind = %s{visibility.where}"
    params = [match.expression, kind, *visibility.params, cap]
    if connection.vendor == "postgresql":
        inner = (
            f"SELECT 1 FROM {TABLE} d CROSS JOIN to_tsquery('simple', %s) AS q(q)"  # noqa: S608
            f"{visibility.joins} WHERE d.search_vector @@ q.q AND {where} LIMIT %s"
        )
    elif kind in LARGE_KINDS:
        inner = (
            f"SELECT 1 FROM search_fts JOIN {TABLE} d ON d.id = search_fts.rowid"  # noqa: S608
            f"{visibility.joins} WHERE search_fts MATCH %s AND {where} LIMIT %s"
        )
    else:
        inner = (
            f"SELECT 1 FROM {TABLE} d INDEXED BY search_doc_kind_created{visibility.joins}"  # noqa: S608
            " WHERE +d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)"
            f" AND {where} LIMIT %s"
        )
    return _run(f"SELECT count(*) FROM ({inner}) search_k", params)[0][0]  # noqa: S608


def _hits(rows: list[tuple[int, float]]) -> list[Hit]:
    if not rows:
        return []
    # The segmented text is for the index only: hits carry the plain title and body.
    documents = SearchDocument.objects.defer("title_text", "body_text").in_bulk(
        [row[0] for row in rows]
    )
    return [Hit(documents[pk], float(s)) for pk, s in rows if pk in documents]
