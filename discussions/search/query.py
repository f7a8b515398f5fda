"""Answering a search: the documents the searcher may see that hold every term of the query, best first.

The same function serves the search page and bench/search.py. On PostgreSQL it matches the stored tsvector through
its GIN index and ranks with ts_rank (then newest first); on SQLite it matches the stored terms with LIKE, newest
first.
"""

import operator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, Value
from django.utils import timezone

from discussions.models import SearchDocument
from discussions.search.text import Terms, search_terms
from topics.models import Group, Topic

MAX_QUERY_CHARS = 200  # longer queries are cut: no one types more, and each term is one more condition
MAX_TERMS = 12
PER_PAGE = 20
# A common word matches tens of thousands of posts; ranking or counting all of them costs more than the page is
# worth. RANKED matches are ranked and paged through; the count says "1,000+" past that.
RANKED = 1000


@dataclass
class Filters:
    group: Group | None = None
    topic: Topic | None = None
    author_ids: list[int] | None = None  # None: anyone; [] matches no one (an unknown name)
    date_from: date | None = None
    date_to: date | None = None
    role: str = ""


def query_terms(query: str) -> Terms:
    terms = search_terms(query[:MAX_QUERY_CHARS])
    latin = list(dict.fromkeys(terms.latin))[:MAX_TERMS]
    cjk = list(dict.fromkeys(terms.cjk))[: MAX_TERMS * 2]  # a Chinese phrase of n characters is n - 1 bigrams
    return Terms(latin=latin, cjk=cjk, phrases=terms.phrases[:MAX_TERMS])


def visible_group_ids(user) -> list[int]:
    return list(Group.objects.visible_to(user).order_by().values_list("pk", flat=True))


def _in_zone(day: date, *, end: bool = False) -> datetime:
    """The start of `day` (or of the day after, for an end date) on the reader's clock."""
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment)


def _scoped(user, filters: Filters):
    documents = SearchDocument.objects.filter(is_visible=True, group_id__in=visible_group_ids(user))
    if filters.group is not None:
        documents = documents.filter(group=filters.group)
    if filters.topic is not None:
        documents = documents.filter(topic=filters.topic)
    if filters.author_ids is not None:
        # Under the Chatham House rule no one is found by name: is_author_hidden documents never match.
        documents = documents.filter(author_id__in=filters.author_ids, is_author_hidden=False)
    if filters.date_from is not None:
        documents = documents.filter(created_at__gte=_in_zone(filters.date_from))
    if filters.date_to is not None:
        documents = documents.filter(created_at__lt=_in_zone(filters.date_to, end=True))
    if filters.role:
        documents = documents.filter(kind=SearchDocument.Kind.POST, role=filters.role)
    return documents


def pg_query(terms: Terms) -> SearchQuery:
    """Latin words through 'english' (stemmed like the index), CJK bigrams through 'simple'; every term must match.
    A single CJK character is matched as the start of a bigram too (the index keeps single characters only where
    they stand alone)."""
    parts = []
    if terms.latin:
        parts.append(SearchQuery(" ".join(terms.latin), config="english", search_type="plain"))
    bigrams = [term for term in terms.cjk if len(term) > 1]
    if bigrams:
        parts.append(SearchQuery(" ".join(bigrams), config="simple", search_type="plain"))
    parts += [SearchQuery(f"{term}:*", config="simple", search_type="raw") for term in terms.cjk if len(term) == 1]
    return reduce(operator.and_, parts)


def _sqlite_match(terms: Terms) -> Q:
    """The same matches on the stored terms: a Latin word at a term's start (like the stemmer's "price" finding
    "prices"), a CJK bigram whole, a single CJK character at a term's start."""
    conditions = [Q(terms__contains=f" {term}") for term in terms.latin]
    conditions += [Q(terms__contains=f" {term} " if len(term) > 1 else f" {term}") for term in terms.cjk]
    return reduce(operator.and_, conditions)


@dataclass
class Results:
    page: object  # a Page of SearchDocument with group, topic, thread, post and author loaded
    count: int  # matches, up to RANKED
    more: bool  # more than RANKED matched
    terms: Terms


def search(*, user, query: str, filters: Filters | None = None, page: int = 1) -> Results:
    """The searcher's page of results; a query without terms gives an empty page (the view says why)."""
    filters = filters or Filters()
    terms = query_terms(query)
    if not terms or filters.author_ids == []:
        return Results(page=Paginator([], PER_PAGE).page(1), count=0, more=False, terms=terms)
    matches = _scoped(user, filters)
    # At most RANKED + 1 matches, in one query that counts them too. On PostgreSQL they are the first the GIN index
    # finds, ranked: a query reads at most that many rows whatever the word, where ordering every match of a
    # common word by date or rank would read them all (bench/search.py). More than RANKED matches: "1,000+", and
    # the filters narrow them. SQLite scans its LIKE anyway and takes the newest.
    if connection.vendor == "postgresql":
        tsquery = pg_query(terms)
        found = matches.filter(vector=tsquery).annotate(rank=SearchRank(F("vector"), tsquery)).order_by()
        rows = list(found.values_list("pk", "rank")[: RANKED + 1])
    else:
        found = matches.filter(_sqlite_match(terms)).order_by("-created_at", "-pk")
        rows = list(found.annotate(rank=Value(0.0)).values_list("pk", "rank")[: RANKED + 1])
    more, rows = len(rows) > RANKED, rows[:RANKED]
    rows.sort(key=lambda row: (-row[1], -row[0]))  # best first, then the newest written (or indexed)
    result_page = Paginator([row[0] for row in rows], PER_PAGE).get_page(page)
    # Only the page's rows are loaded with where they live: joining before the cut would join every match.
    ids = list(result_page.object_list)
    rows_shown = SearchDocument.objects.select_related("group", "topic__group", "thread", "post", "author")
    loaded = rows_shown.defer("vector", "terms", "post__body", "post__body_html").in_bulk(ids)
    result_page.object_list = [loaded[pk] for pk in ids if pk in loaded]
    return Results(page=result_page, count=len(rows), more=more, terms=terms)
