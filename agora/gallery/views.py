from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.gallery import permissions, selectors, services
from agora.gallery.forms import UploadForm
from agora.gallery.models import Reaction, Work


@require_safe
def grid(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "").strip()[:200] for k in selectors.FILTERS}
    sort = request.GET.get("sort", "newest")
    if sort not in selectors.SORTS:
        sort = "newest"
    works, next_cursor = selectors.work_feed(
        viewer=request.user, cursor=request.GET.get("cursor"), sort=sort, **filters
    )
    query = {k: v for k, v in filters.items() if v}
    if sort != "newest":
        query["sort"] = sort
    context = {
        "works": works,
        "next_cursor": next_cursor,
        "filters": filters,
        "filtered": any(filters.values()),
        "sort": sort,
        "sorts": [
            ("newest", _("Newest")),
            ("reacted", _("Most reacted")),
            ("trending", _("Trending this week")),
        ],
        "viewer_level": selectors.viewer_level(request.user),
        "query": urlencode(query),
    }
    if request.headers.get("HX-Request") and request.GET.get("cursor"):
        return render(request, "gallery/grid.html#cards", context)
    return render(request, "gallery/grid.html", context)


@require_safe
def work(request: HttpRequest, work_id: int) -> HttpResponse:
    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    is_owner = permissions.can_edit_work(request.user, obj)
    context = {
        "work": obj,
        "is_owner": is_owner,
        "show_recipe": obj.has_recipe and permissions.can_see_recipe(request.user, obj),
        "viewer_level": selectors.viewer_level(request.user),
        "mine": selectors.my_reactions(viewer=request.user, work=obj),
        "reaction_kinds": Reaction.Kind.choices,
        "comments": list(obj.comments.select_related("author")),
        "remixes": selectors.visible_remixes(viewer=request.user, work=obj),
        "parent_visible": obj.remix_of is not None
        and permissions.can_see_work(request.user, obj.remix_of),
        "nsfw_levels": Work.NSFW.choices,
    }
    return render(request, "gallery/work.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    kept = None
    if request.method == "POST":
        kept = services.kept_upload(user=request.user, token=request.POST.get("kept_image", ""))
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"remix_of": request.GET.get("remix_of")},
        kept_name=kept[0] if kept else "",
    )
    kept_token = request.POST.get("kept_image", "") if kept else ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = None
        if data.get("remix_of"):
            parent = Work.objects.filter(pk=data["remix_of"]).first()
        new_file = data["image"]  # add_error below takes it out of cleaned_data
        chosen = new_file or services.open_kept(*kept)
        try:
            created, notes = services.upload_work(
                author=request.user,
                upload=chosen,
                title=data["title"],
                description=data["description"],
                licence=data["licence"],
                nsfw=data["nsfw"],
                tags=data["tags"],
                private=data["private"],
                recipe_hidden=data["recipe_hidden"],
                remix_of=parent,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error("image", exc.messages)
        else:
            if kept and not new_file:
                services.discard_kept(kept[1])
            for note in notes:
                messages.warning(request, _("Some metadata was ignored: %(note)s") % {"note": note})
            return redirect(created.get_absolute_url())
        finally:
            if chosen is not new_file:
                chosen.close()
    if form.is_bound and form.errors:
        # keep a newly chosen file that passed its checks, so the member need not choose again
        new_file = form.cleaned_data.get("image") if "image" not in form.errors else None
        if new_file:
            if kept:
                services.discard_kept(kept[1])
            kept_token = services.keep_upload(user=request.user, upload=new_file) or ""
            kept = services.kept_upload(user=request.user, token=kept_token)
        elif "image" in form.errors and kept:
            services.discard_kept(kept[1])
            kept, kept_token = None, ""
        form.kept_name = kept[0] if kept else ""
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "kept_token": kept_token if form.kept_name else ""}
    return render(request, "gallery/upload.html", context, status=status)


@login_required
@require_POST
def react(request: HttpRequest, work_id: int) -> HttpResponse:
    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    try:
        services.toggle_reaction(user=request.user, work=obj, kind=request.POST.get("kind", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(obj.get_absolute_url())


@login_required
@require_POST
def comment(request: HttpRequest, work_id: int) -> HttpResponse:
    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    try:
        services.add_comment(user=request.user, work=obj, raw=request.POST.get("raw", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(obj.get_absolute_url() + "#comments")


@login_required
@require_POST
def collect(request: HttpRequest, work_id: int) -> HttpResponse:
    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    try:
        collection = services.add_to_collection(
            user=request.user, work=obj, title=request.POST.get("title", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Added to “%(title)s”.") % {"title": collection.title})
    return redirect(obj.get_absolute_url())


@login_required
@require_POST
def nsfw(request: HttpRequest, work_id: int) -> HttpResponse:
    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    try:
        services.set_nsfw(actor=request.user, work=obj, level=int(request.POST.get("level", "-1")))
    except (ValueError, ValidationError):
        messages.error(request, _("Choose a content level."))
    return redirect(obj.get_absolute_url())


@login_required
@require_POST
def viewer_settings(request: HttpRequest) -> HttpResponse:
    try:
        services.set_viewer_level(user=request.user, level=int(request.POST.get("level", "-1")))
    except (ValueError, ValidationError):
        messages.error(request, _("Choose a content level."))
    return redirect(
        request.POST.get("next")
        if str(request.POST.get("next", "")).startswith("/gallery/")
        else "/gallery/"
    )


@require_safe
def download(request: HttpRequest, work_id: int) -> HttpResponse:
    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    response = HttpResponse(services.download_png(obj), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="agora-work-{obj.id}.png"'
    return response


@login_required
@require_POST
def share(request: HttpRequest, work_id: int) -> HttpResponse:
    """Start a forum topic with the image and its recipe card (added to the composer's draft,
    after what the member had written)."""
    from agora.forum.services import add_to_draft

    obj = selectors.get_work_for_viewer(work_id=work_id, viewer=request.user)
    if not permissions.can_share_to_forum(request.user, obj):
        raise PermissionDenied(_("Make the work public before sharing it."))
    raw = services.recipe_card_markdown(obj, url=obj.get_absolute_url())
    try:
        add_to_draft(user=request.user, key="new-topic", title=obj.title, raw=raw)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(obj.get_absolute_url())
    return redirect("/new-topic/?category=image-generation")


@require_safe
def collection(request: HttpRequest, collection_id: int) -> HttpResponse:
    obj = selectors.get_collection_for_viewer(collection_id=collection_id, viewer=request.user)
    cursor = request.GET.get("cursor")
    works, next_cursor = selectors.collection_works(
        collection=obj, viewer=request.user, cursor=cursor
    )
    context = {
        "collection": obj,
        "works": works,
        "next_cursor": next_cursor,
        "viewer_level": selectors.viewer_level(request.user),
    }
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "gallery/collection.html#collection-cards", context)
    return render(request, "gallery/collection.html", context)
