"""The search page and the header box: parse forgiving input, ask the selectors, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from agora.accounts.models import User
from agora.forum.models import Tag
from agora.forum.permissions import get_access
from agora.search import selectors
from agora.search.forms import SearchForm
from agora.search.registry import kind_for_choice, kinds_in_order


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    form.is_valid()  # invalid fields fall back to their defaults below
    access = get_access(request)
    text = form.value("q", "")
    kind = form.value("kind", "posts")
    page = form.value("page", 1)
    counts = selectors.kind_counts(text=text, viewer=request.user, access=access)
    if not request.GET.get("kind") and counts and not counts.get(kind):
        # No tab chosen: open on the first one that holds something.
        kind = next((choice for choice, n in counts.items() if n), kind)
    found = kind_for_choice(kind)
    context: dict[str, object] = {
        "form": form,
        "q": text,
        "kind": kind,
        "page": page,
        "kinds": [(k, counts.get(k.choice)) for k in kinds_in_order()],
        "count_cap": selectors.COUNT_CAP,
        "kind_chosen": bool(request.GET.get("kind")),
    }
    query = request.GET.copy()
    query.pop("page", None)
    context["page_query"] = query.urlencode()
    query.pop("kind", None)
    context["kind_query"] = query.urlencode()
    if kind == "members":
        context["members"] = selectors.search_members(
            text=text, viewer=request.user, access=access, limit=50
        )
    elif kind == "tags":
        context["tags"] = selectors.search_tags(
            text=text, viewer=request.user, access=access, limit=50
        )
    elif found is not None and found.cards is not None:
        result = selectors.search_kind(
            kind=found, text=text, viewer=request.user, access=access, page=page
        )
        context.update(results=result.results, has_next=result.has_next)
    else:
        context["kind"] = "posts"
        filters = _post_filters(request, form, access)
        result = selectors.search_posts(
            text=text, viewer=request.user, access=access, filters=filters, page=page
        )
        context.update(results=result.results, has_next=result.has_next, filters=filters)
    context["categories"] = access.visible_categories()
    return render(request, "search/search.html", context)


def _post_filters(request: HttpRequest, form: SearchForm, access) -> selectors.PostFilters:
    filters = selectors.PostFilters(
        after=form.value("after"),
        before=form.value("before"),
        status=form.value("status", ""),
        newest=form.value("sort") == "newest",
        bookmarks=request.GET.get("in") == "bookmarks" and request.user.is_authenticated,
    )
    slug = form.value("category")
    if slug:
        # An unknown or invisible category finds nothing rather than everything.
        filters.category = next(
            (c for c in access.visible_categories() if c.slug == slug), selectors.NO_CATEGORY
        )
    name = form.value("tag")
    if name:
        filters.tag = Tag.objects.filter(name__iexact=name).first() or Tag(id=0, name=name)
    username = form.value("author")
    if username:
        filters.author = User.objects.filter(username__iexact=username.lstrip("@")).first() or User(
            id=0, username=username
        )
    return filters


@require_safe
def quick(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:1200]
    found = selectors.quick_search(text=text, viewer=request.user, access=get_access(request))
    return render(request, "search/_quick.html", {"q": text, **found})
