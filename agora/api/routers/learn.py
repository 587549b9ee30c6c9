"""The Learn section: articles and the resource library, through learn's selectors, forms,
permissions and services (the same as its pages)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from agora.api.auth import require, viewer
from agora.api.errors import ERRORS
from agora.api.schemas import (
    LANGUAGES,
    ArticleDetailOut,
    ArticleEditIn,
    ArticleIn,
    ArticleOut,
    ArticleRevisionOut,
    ResourceIn,
    ResourceOut,
    UseOut,
    member_ref,
    one_of,
    page_of,
)
from agora.core.paging import keyset_page
from agora.learn import permissions, selectors, services
from agora.learn import resources as resource_services
from agora.learn.forms import ArticleForm, EditArticleForm, ResourceForm
from agora.learn.models import Article, Resource, ResourceUse

router = Router(tags=["learn"])
ArticlePage = page_of(ArticleOut)
ResourcePage = page_of(ResourceOut)
PER_PAGE = 30


def article_out(article) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "difficulty": article.difficulty,
        "language": article.language,
        "area": article.area,
        "series": article.series.title if article.series_id else None,
        "series_part": article.series_part,
        "authors": [member_ref(a) for a in article.authors.all()],
        "revision_count": article.revision_count,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "url": article.get_absolute_url(),
    }


def article_detail(article, user) -> dict:
    return {
        **article_out(article),
        "body": article.body,
        "body_html": article.body_html,
        "toc": [list(entry) for entry in article.toc or []],
        "can_edit": permissions.can_edit_article(user, article),
    }


def resource_out(resource) -> dict:
    return {
        "id": resource.id,
        "kind": resource.kind,
        "title": resource.title,
        "url": resource.url,
        "description_html": resource.description_html,
        "licence": resource.licence,
        "programming_language": resource.programming_language,
        "tags": list(resource.tags or []),
        "arxiv_id": resource.arxiv_id,
        "paper_authors": resource.paper_authors,
        "abstract": resource.abstract,
        "use_count": resource.use_count,
        "topic_url": resource.topic.get_absolute_url() if resource.topic_id else None,
        "created_at": resource.created_at,
        "link": resource.get_absolute_url(),
    }


def _form_errors(form) -> ValidationError:
    return ValidationError({field: list(errors) for field, errors in form.errors.items()})


@router.get("/articles", response={200: ArticlePage, **ERRORS})
def list_articles(
    request: HttpRequest,
    difficulty: one_of(["", *Article.Difficulty.values]) = "",
    language: one_of(["", *LANGUAGES]) = "",
    area: one_of(["", *Article.Area.values]) = "",
    cursor: str | None = None,
):
    """Articles, newest first, optionally of a difficulty, language or area; 30 a page."""
    rows, next_cursor = keyset_page(
        selectors.articles(difficulty=difficulty, language=language, area=area),
        key="created_at",
        cursor=cursor,
        limit=PER_PAGE,
    )
    return {"items": [article_out(a) for a in rows], "next_cursor": next_cursor}


@router.post("/articles", response={201: ArticleDetailOut, **ERRORS})
def create_article(request: HttpRequest, payload: ArticleIn):
    """Publish an article (members who may start topics in Tutorials, and staff); its discussion
    topic is opened with it."""
    user = require(request, "write")
    if not permissions.can_write_article(user):
        raise PermissionDenied(_("You may not publish articles."))
    form = ArticleForm(payload.model_dump())
    if not form.is_valid():
        raise _form_errors(form)
    article = services.create_article(author=user, **form.cleaned_data)
    return Status(201, article_detail(selectors.get_article(slug=article.slug), user))


@router.post("/articles/import", response={201: ArticleDetailOut, **ERRORS})
def import_article(request: HttpRequest, file: File[UploadedFile]):
    """Publish a Markdown file (multipart field `file`, UTF-8, at most 500 KB); its front matter
    may give title, summary, difficulty, language, area, series and part."""
    user = require(request, "write")
    if not permissions.can_write_article(user):
        raise PermissionDenied(_("You may not publish articles."))
    try:
        article = services.import_article(author=user, upload=file)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"file": exc.messages}) from None
    return Status(201, article_detail(selectors.get_article(slug=article.slug), user))


@router.get("/articles/{slug}", response={200: ArticleDetailOut, **ERRORS})
def get_article(request: HttpRequest, slug: str):
    return article_detail(selectors.get_article(slug=slug), viewer(request))


@router.patch("/articles/{slug}", response={200: ArticleDetailOut, **ERRORS})
def edit_article(request: HttpRequest, slug: str, payload: ArticleEditIn):
    """The authors or staff: change the title, summary or text (each edit is a revision)."""
    user = require(request, "write")
    article = selectors.get_article(slug=slug)
    if not permissions.can_edit_article(user, article):
        raise PermissionDenied(_("Only the authors or staff can edit this article."))
    form = EditArticleForm(payload.model_dump())
    if not form.is_valid():
        raise _form_errors(form)
    services.edit_article(editor=user, article=article, **form.cleaned_data)
    return article_detail(selectors.get_article(slug=slug), user)


@router.get("/articles/{slug}/revisions", response={200: list[ArticleRevisionOut], **ERRORS})
def list_article_revisions(request: HttpRequest, slug: str):
    article = selectors.get_article(slug=slug)
    return [
        {
            "number": r.number,
            "editor": member_ref(r.editor),
            "body_before": r.body_before,
            "body_after": r.body_after,
            "created_at": r.created_at,
        }
        for r in article.revisions.select_related("editor").order_by("number")
    ]


@router.get("/resources", response={200: ResourcePage, **ERRORS})
def list_resources(
    request: HttpRequest, kind: one_of(["", *Resource.Kind.values]) = "", cursor: str | None = None
):
    """The library (projects, data sets, papers), most used first; 30 a page. The lab's public
    models are under /models."""
    rows, next_cursor = keyset_page(
        selectors.resources(kind=kind), key="use_count", cursor=cursor, limit=30, number=True
    )
    return {"items": [resource_out(r) for r in rows], "next_cursor": next_cursor}


@router.post("/resources", response={201: ResourceOut, **ERRORS})
def add_resource(request: HttpRequest, payload: ResourceIn):
    """Add a project, data set or paper; its discussion topic is opened with it."""
    user = require(request, "write")
    form = ResourceForm(payload.model_dump())
    if not form.is_valid():
        raise _form_errors(form)
    resource = resource_services.add_resource(user=user, **form.cleaned_data)
    return Status(201, resource_out(selectors.get_resource(resource_id=resource.id)))


def _resource(resource_id: int):
    return selectors.get_resource(resource_id=resource_id if 0 < resource_id < 2**31 else 0)


@router.get("/resources/{resource_id}", response={200: ResourceOut, **ERRORS})
def get_resource(request: HttpRequest, resource_id: int):
    return resource_out(_resource(resource_id))


def _use_state(resource, user, uses: bool) -> dict:
    resource.refresh_from_db(fields=["use_count"])
    return {"uses": uses, "use_count": resource.use_count}


@router.post("/resources/{resource_id}/use", response={200: UseOut, **ERRORS})
def use_resource(request: HttpRequest, resource_id: int):
    """Say you use this resource (counted once per member)."""
    user = require(request, "write")
    resource = _resource(resource_id)
    resource_services.mark_used(user=user, resource=resource, used=True)
    return _use_state(resource, user, True)


@router.delete("/resources/{resource_id}/use", response={200: UseOut, **ERRORS})
def stop_using_resource(request: HttpRequest, resource_id: int):
    user = require(request, "write")
    resource = _resource(resource_id)
    resource_services.mark_used(user=user, resource=resource, used=False)
    uses = ResourceUse.objects.filter(resource=resource, user=user).exists()
    return _use_state(resource, user, uses)
