"""The search page: what the searcher may read, found by words in English or Chinese."""

from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext

from discussions.moderation import MINUTE, RateLimited, count_in_window
from discussions.search import query as search_query
from discussions.search.forms import SearchForm
from discussions.search.snippets import describe
from groupsite import clock
from topics.models import Group


def _count_search(request) -> None:
    """Searching costs more than reading a page: SEARCHES_PER_MINUTE per account, or per address for visitors."""
    who = f"user:{request.user.pk}" if request.user.is_authenticated else f"ip:{request.META.get('REMOTE_ADDR', '')}"
    if count_in_window(key=f"search:{who}", window=MINUTE) > settings.SEARCHES_PER_MINUTE:
        raise RateLimited(gettext("You are searching very fast: wait a minute and try again."))


def search(request):
    groups = list(Group.objects.visible_to(request.user).order_by("name"))
    form = SearchForm(request.GET, groups=groups)
    filters = [name for name in form.fields if name != "q" and request.GET.get(name)]
    context = {"form": form, "hits": [], "results": None, "query": "", "filters_open": bool(filters)}
    status = HTTPStatus.OK
    with clock.reading(request.user, None):  # a date filter means a day on the reader's clock
        if not form.is_valid():
            status = HTTPStatus.BAD_REQUEST
        elif form.cleaned_data["q"]:
            _count_search(request)
            query = context["query"] = form.cleaned_data["q"]
            results = search_query.search(
                user=request.user, query=query, filters=form.filters(), page=request.GET.get("page") or 1
            )
            if not results.terms:
                context["message"] = gettext("Type a word to search for: this query has only punctuation or symbols.")
            context["results"] = results
            context["page"] = results.page
            context["hits"] = [describe(document, results.terms) for document in results.page.object_list]
            kept = {name: value for name, value in request.GET.items() if name in form.fields and name != "q" and value}
            context["pagination_query"] = urlencode({"q": query} | kept) + "&"
        elif request.GET:
            context["message"] = gettext("Type a word or a name to search for.")
        return render(request, "discussions/search.html", context, status=status)
