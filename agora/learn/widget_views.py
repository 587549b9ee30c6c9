"""Lesson widgets over HTTP: a widget's own page (the permalink of a state), its figure as a
PNG, the htmx panel that a slider refreshes, the frames of a live training, and "mark done"."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from agora.learn import permissions, widget_services, widgets
from agora.learn.models import Article, WidgetFrame, WidgetResult
from agora.learn.widgets.compute import NoModel

CACHED_FIGURE_SECONDS = 24 * 3600


def NO_MODEL_MESSAGE() -> str:
    return _(
        "There is no public diffusion model in the Lab yet: train one and publish it, and "
        "this figure samples from it."
    )


def _widget_and_state(request: HttpRequest, kind: str):
    if kind not in widgets.WIDGETS:
        raise Http404("No such widget")
    widget = widgets.WIDGETS[kind]
    return widget, widget.parse(request.GET.dict())


def _keyed(widget, state: dict) -> dict:
    """The state with what its key adds (raises NoModel when a lesson model is missing)."""
    return widget.with_extra(state)


def _bad_input(request: HttpRequest, message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def lab_url(kind: str, state: dict) -> str:
    """The lab's new-run form prefilled with the training closest to this figure."""
    if kind == "gan-game":
        family = "wgan-gp" if state["loss"] == "wgan-gp" else "gan"
        query = {"family": family, "dataset": state["data"], "steps": state["steps"]}
    elif kind.startswith("vae"):
        family = "beta-vae" if state.get("beta") == "4" else "vae"
        query = {"family": family, "dataset": "digits", "steps": state.get("steps", 1500)}
    elif kind.startswith("gpt"):
        query = {"family": "gpt", "dataset": "tang"}
    elif kind == "reverse-process" or kind == "sampler-table":
        query = {"family": "diffusion", "dataset": "moons", "steps": 300}
    else:
        query = {"family": "diffusion", "dataset": "mnist5k"}
    query |= {"seed": state.get("seed", 0), "title": str(widgets.get(kind).title)}
    return reverse("lab:new_run") + "?" + urlencode(query)


def share_url(kind: str, state: dict) -> str:
    """A new forum topic whose text places this figure (the same Markdown block as lessons)."""
    widget = widgets.get(kind)
    settings = "\n".join(f"{p.name}: {state[p.name]}" for p in widget.params)
    page = reverse("learn:widget", kwargs={"kind": kind}) + "?" + widget.query(state)
    raw = f"```widget {kind}\n{settings}\n```\n\n[{widget.title}]({page})\n"
    return reverse("forum:new_topic") + "?" + urlencode({"title": str(widget.title), "raw": raw})


def panel_context(request: HttpRequest, kind: str, state: dict, *, compute: bool) -> dict:
    """What the figure panel shows for a state: the cached figure, or one computed now when the
    viewer may (compute=True), the progress of a live training, or why there is none."""
    widget = widgets.get(kind)
    row, message = None, ""
    bad_input = False
    try:
        keyed = _keyed(widget, state)
    except NoModel as exc:
        keyed, compute = None, False
        message = str(exc) or NO_MODEL_MESSAGE()
    if compute:
        try:
            row = widget_services.figure_for(user=request.user, kind=kind, state=keyed)
        except PermissionDenied as exc:
            message = str(exc)
        except widgets.WidgetInputError as exc:  # what only the model could tell (a prompt)
            message, bad_input = str(exc), True
    elif keyed is not None:
        row = WidgetResult.objects.filter(key=widgets.state_key(kind, keyed)).first()
    frame = None
    if row is not None and widget.live and row.frame_count:
        frame = (
            WidgetFrame.objects.filter(result=row, number=row.frame_count - 1)
            .only("id", "number", "step", "data")
            .first()
        )
    query = widget.query(state)
    active = row is not None and row.status in ("queued", "running")
    return {
        "widget": widget,
        "state": state,
        "params": _params(widget, state, request.user),
        "uid": "w1",
        "row": row,
        "frame": frame,
        "message": message,
        "bad_input": bad_input,
        "active": active,
        "query": query,
        "panel_url": reverse("learn:widget_panel", kwargs={"kind": kind}) + "?" + query,
        "page_url": reverse("learn:widget", kwargs={"kind": kind}) + "?" + query,
        "figure_url": reverse("learn:widget_figure", kwargs={"kind": kind}) + "?" + query,
        "lab_url": lab_url(kind, state),
        "share_url": share_url(kind, state),
    }


@require_safe
def widget_page(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        _widget, state = _widget_and_state(request, kind)
    except widgets.WidgetInputError as exc:
        return _bad_input(request, str(exc))
    context = panel_context(request, kind, state, compute=True)
    return render(request, "learn/widget.html", {"w": context})


@require_safe
def widget_panel(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        _widget, state = _widget_and_state(request, kind)
    except widgets.WidgetInputError as exc:
        if request.headers.get("HX-Request"):  # typed into the form: the panel says why
            return render(
                request, "learn/widgets/_panel_error.html", {"message": str(exc)}, status=400
            )
        return _bad_input(request, str(exc))
    context = panel_context(request, kind, state, compute=True)
    status = 403 if context["row"] is None and not context["active"] else 200
    if context["bad_input"]:
        status = 400
    return render(request, "learn/widgets/_panel.html", {"w": context}, status=status)


@require_safe
def widget_figure(request: HttpRequest, kind: str) -> HttpResponse:
    """The figure of a state as a PNG: cached, or computed now for whoever may."""
    try:
        _widget, state = _widget_and_state(request, kind)
    except widgets.WidgetInputError as exc:
        return _bad_input(request, str(exc))
    try:
        row = widget_services.figure_for(user=request.user, kind=kind, state=_keyed(_widget, state))
    except NoModel as exc:
        return HttpResponse(
            str(exc) or NO_MODEL_MESSAGE(), status=503, content_type="text/plain; charset=utf-8"
        )
    except widgets.WidgetInputError as exc:
        return _bad_input(request, str(exc))
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403, content_type="text/plain; charset=utf-8")
    if row.status != WidgetResult.Status.DONE or not row.png:
        return HttpResponse(
            _("This figure is still being computed."), status=404, content_type="text/plain"
        )
    response = _png(bytes(row.png))
    if str(state.get("image", "")).startswith("work-"):  # drawn from a work: maybe private
        response["Cache-Control"] = f"private, max-age={CACHED_FIGURE_SECONDS}"
    return response


def _png(data: bytes) -> HttpResponse:
    """A figure's bytes: PNG, or SVG for figures whose labels need the reader's fonts (CJK)."""
    svg = data.startswith(b"<svg")
    response = HttpResponse(data, content_type="image/svg+xml" if svg else "image/png")
    if svg:  # shown in <img>, where nothing in it runs; opened alone, it stays inert too
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"public, max-age={CACHED_FIGURE_SECONDS}"
    return response


@require_safe
def widget_frame(request: HttpRequest, result_id: int, number: int) -> HttpResponse:
    png = (
        WidgetFrame.objects.filter(result_id=result_id, number=number)
        .values_list("png", flat=True)
        .first()
    )
    if png is None:
        raise Http404("No such frame")
    return _png(bytes(png))


@login_required
@require_http_methods(["POST"])
def mark_done(request: HttpRequest, slug: str) -> HttpResponse:
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        raise Http404("No such article")
    if not permissions.can_mark_lesson_done(request.user):
        raise PermissionDenied
    widget_services.mark_lesson_done(
        user=request.user, article=article, done=not request.POST.get("undo")
    )
    return redirect(article.get_absolute_url())


def _params(widget, state: dict, user) -> list[tuple]:
    """Each setting with its value and the viewer's own extra choices (their gallery works for
    an image that takes them; the chosen work stays listed when it is someone else's)."""
    out = []
    for p in widget.params:
        own: list[tuple[str, str]] = []
        if p.also:
            own = widget_services.own_works(user)
            value = state[p.name]
            if value not in {v for v, _label in (*p.choices, *own)}:
                own.append((value, _("work #%(id)s") % {"id": value.removeprefix("work-")}))
        out.append((p, state[p.name], own))
    return out


def placed_widget_context(kind: str, state: dict, *, uid: str, user=None) -> dict:
    """A widget as an article places it: its controls and a panel that loads its figure
    lazily (no query here: the figure and its numbers come in their own requests)."""
    widget = widgets.get(kind)
    query = widget.query(state)
    return {
        "widget": widget,
        "state": state,
        "params": _params(widget, state, user),
        "uid": uid,
        "lazy": True,
        "row": None,
        "query": query,
        "panel_url": reverse("learn:widget_panel", kwargs={"kind": kind}) + "?" + query,
        "page_url": reverse("learn:widget", kwargs={"kind": kind}) + "?" + query,
        "figure_url": reverse("learn:widget_figure", kwargs={"kind": kind}) + "?" + query,
        "lab_url": lab_url(kind, state),
        "share_url": share_url(kind, state),
    }
