from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from agora.core.forms import add_validation_errors
from agora.core.paging import keyset_page
from agora.core.text import first_image
from agora.forum.diff import render_diffs
from agora.learn import permissions, selectors, services
from agora.learn.forms import ArticleForm, EditArticleForm, ImportForm
from agora.learn.models import Article, LessonCompletion
from agora.learn.widget_markup import split_body
from agora.learn.widget_views import placed_widget_context


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    difficulty = request.GET.get("difficulty", "")
    language = request.GET.get("language", "")
    cursor = request.GET.get("cursor")
    articles, next_cursor = keyset_page(
        selectors.articles(difficulty=difficulty, language=language),
        key="created_at",
        cursor=cursor,
        limit=ARTICLES_PER_PAGE,
    )
    by_area: dict[str, list[Article]] = {}
    for article in articles:  # a page, newest first, shown by area
        by_area.setdefault(article.area, []).append(article)
    sections = [
        (value, label, by_area[value]) for value, label in Article.Area.choices if value in by_area
    ]
    context = {
        "sections": sections,
        "next_cursor": next_cursor,
        # Section ids stay unique when later pages are added below the first.
        "id_suffix": f"-{articles[0].id}" if cursor and articles else "",
        "difficulty": difficulty,
        "language": language,
        "difficulties": Article.Difficulty.choices,
        "can_write": permissions.can_write_article(request.user),
    }
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "learn/index.html#article-sections", context)
    return render(request, "learn/index.html", context)


@require_safe
def article(request: HttpRequest, slug: str) -> HttpResponse:
    obj = selectors.get_article(slug=slug)
    series_parts = []
    if obj.series_id:
        series_parts = list(
            obj.series.articles.order_by("series_part").only(
                "title", "slug", "series_part", "series"
            )
        )
    segments = split_body(obj.body_html)
    for segment in segments:
        if segment.kind:
            segment.context = placed_widget_context(
                segment.kind, segment.state, uid=f"w{segment.index}", user=request.user
            )
    context = {
        "article": obj,
        "series_parts": series_parts,
        "segments": segments if len(segments) > 1 else None,
        "is_lesson": len(segments) > 1,
        "done": len(segments) > 1
        and request.user.is_authenticated
        and LessonCompletion.objects.filter(user=request.user, article=obj).exists(),
        "can_edit": permissions.can_edit_article(request.user, obj),
        "social_image": first_image(obj.body_html),
    }
    return render(request, "learn/article.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def write(request: HttpRequest) -> HttpResponse:
    if not permissions.can_write_article(request.user):
        raise PermissionDenied(_("You may not publish articles."))
    form = ArticleForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    import_form = ImportForm()
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_article(author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(created.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "learn/write.html", {"form": form, "import_form": import_form}, status=status
    )


@login_required
@require_http_methods(["POST"])
def import_markdown(request: HttpRequest) -> HttpResponse:
    if not permissions.can_write_article(request.user):
        raise PermissionDenied(_("You may not publish articles."))
    import_form = ImportForm(request.POST, request.FILES)
    if import_form.is_valid():
        try:
            created = services.import_article(
                author=request.user, upload=import_form.cleaned_data["file"]
            )
        except ValidationError as exc:
            import_form.add_error("file", exc.messages)
        else:
            messages.success(request, _("The article was imported."))
            return redirect(created.get_absolute_url())
    return render(
        request, "learn/write.html", {"form": ArticleForm(), "import_form": import_form}, status=400
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    obj = Article.objects.filter(slug=slug).first()
    if obj is None:
        raise Http404("No such article")
    if not permissions.can_edit_article(request.user, obj):
        raise PermissionDenied(_("Only the authors or staff can edit this article."))
    form = EditArticleForm(
        request.POST or None, initial={"title": obj.title, "summary": obj.summary, "body": obj.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_article(editor=request.user, article=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(obj.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "learn/edit.html", {"form": form, "article": obj}, status=status)


@require_safe
def revisions(request: HttpRequest, slug: str) -> HttpResponse:
    obj = Article.objects.filter(slug=slug).first()
    if obj is None:
        raise Http404("No such article")
    revisions = list(obj.revisions.select_related("editor"))
    diffs = render_diffs([(r.body_before, r.body_after) for r in revisions])
    rows = [{"revision": r, "diff": d} for r, d in zip(revisions, diffs, strict=True)]
    return render(request, "learn/revisions.html", {"article": obj, "rows": rows})


# --- resource library --------------------------------------------------------------------------


LAB_MODEL_KIND = "model"
RESOURCES_PER_PAGE = 30
ARTICLES_PER_PAGE = 60


@require_safe
def resources(request: HttpRequest) -> HttpResponse:
    """Projects, data sets and papers, and beside them the lab's public models (each links to its
    model card and its discussion topic)."""
    from agora.lab.selectors import current_models
    from agora.learn.models import Resource

    kind = request.GET.get("kind", "")
    cursor, models_cursor = request.GET.get("cursor"), request.GET.get("models_cursor")
    htmx = request.headers.get("HX-Request") == "true"
    resources, next_cursor, models, models_next = [], None, [], None
    if kind != LAB_MODEL_KIND and not (htmx and models_cursor):
        resources, next_cursor = keyset_page(
            selectors.resources(kind=kind),
            key="use_count",
            cursor=cursor,
            limit=RESOURCES_PER_PAGE,
            number=True,
        )
        if htmx and cursor:
            context = {"resources": resources, "next_cursor": next_cursor}
            return render(request, "learn/resources.html#resource-rows", context)
    if kind in ("", LAB_MODEL_KIND):
        public = current_models(None).select_related("topic")  # public ones, whoever looks
        models, models_next = keyset_page(
            public,
            key="star_count",
            cursor=models_cursor,
            limit=RESOURCES_PER_PAGE,
            number=True,
        )
        if htmx and models_cursor:
            context = {"models": models, "models_next": models_next}
            return render(request, "learn/resources.html#model-rows", context)
    context = {
        "resources": resources,
        "next_cursor": next_cursor,
        "models": models,
        "models_next": models_next,
        "kinds": [*Resource.Kind.choices, (LAB_MODEL_KIND, _("Lab model"))],
        "kind": kind,
    }
    return render(request, "learn/resources.html", context)


@require_safe
def resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    from agora.learn.models import ResourceUse

    obj = selectors.get_resource(resource_id=resource_id)
    uses = (
        request.user.is_authenticated
        and ResourceUse.objects.filter(resource=obj, user=request.user).exists()
    )
    return render(request, "learn/resource.html", {"resource": obj, "uses": uses})


@login_required
@require_http_methods(["GET", "POST"])
def add_resource(request: HttpRequest) -> HttpResponse:
    from agora.learn import resources as resource_services
    from agora.learn.forms import ResourceForm

    form = ResourceForm(request.POST or None, initial={"kind": request.GET.get("kind", "project")})
    if request.method == "POST" and form.is_valid():
        try:
            obj = resource_services.add_resource(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(obj.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "learn/add_resource.html", {"form": form}, status=status)


@login_required
@require_http_methods(["POST"])
def use_resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    from agora.learn import resources as resource_services
    from agora.learn.models import Resource

    obj = Resource.objects.filter(pk=resource_id).first()
    if obj is None:
        raise Http404("No such resource")
    resource_services.mark_used(user=request.user, resource=obj, used=not request.POST.get("undo"))
    return redirect(obj.get_absolute_url())
