from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.challenges import permissions, selectors, services
from agora.challenges.forms import ChallengeForm, ContestForm, EnterForm, SubmitForm
from agora.challenges.models import Entry
from agora.core.forms import add_validation_errors
from agora.core.params import parse_id


def _list_page(
    request: HttpRequest, *, page, name: str, template: str, partial: str, can_create: bool
) -> HttpResponse:
    """A newest-first list of challenges or contests: the whole page, or (htmx asking for the
    next cursor) only its rows, the template's partial."""
    rows, next_cursor = page
    context = {name: rows, "next_cursor": next_cursor, "can_create": can_create}
    if request.headers.get("HX-Request") == "true" and request.GET.get("cursor"):
        template = f"{template}#{partial}"
    return render(request, template, context)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        page=selectors.challenge_page(cursor=request.GET.get("cursor")),
        name="challenges",
        template="challenges/index.html",
        partial="challenge-rows",
        can_create=permissions.can_create_challenge(request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_challenge(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_challenge(request.user):
        raise PermissionDenied(_("Only staff can create challenges."))
    form = ChallengeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = services.create_challenge(creator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(challenge.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "challenges/new.html", {"form": form}, status=status)


def parse_page(request: HttpRequest) -> int:
    """`?page=N` of the leaderboard; anything else is page 1."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def _challenge_context(request: HttpRequest, challenge, form=None) -> dict:
    from genlab.tasks import TASKS

    board = selectors.leaderboard_page(challenge, parse_page(request))
    mine = selectors.own_submissions(user=request.user, challenge=challenge)
    if form is None and request.user.is_authenticated and challenge.state == "open":
        form = SubmitForm(
            runs=selectors.submittable_runs(request.user, challenge.dataset),
            samplers=challenge.protocol.get("samplers", []),
        )
    return {
        "challenge": challenge,
        "task": TASKS[challenge.task],
        "board": board,
        "mine": mine,
        "form": form,
        "following": selectors.is_following(user=request.user, challenge=challenge),
        "better": TASKS[challenge.task].better(challenge.metric),
    }


@require_safe
def challenge(request: HttpRequest, challenge_id: int) -> HttpResponse:
    obj = selectors.get_challenge(challenge_id)
    return render(request, "challenges/challenge.html", _challenge_context(request, obj))


@login_required
@require_POST
def submit(request: HttpRequest, challenge_id: int) -> HttpResponse:
    obj = selectors.get_challenge(challenge_id)
    runs = selectors.submittable_runs(request.user, obj.dataset)
    form = SubmitForm(request.POST, runs=runs, samplers=obj.protocol.get("samplers", []))
    run = None
    run_id = parse_id(request.POST.get("run", ""))
    if run_id:
        from agora.lab.models import TrainingRun

        run = TrainingRun.objects.filter(pk=run_id).first()
    if run is not None and not permissions.can_submit_run(request.user, run):
        raise PermissionDenied(_("You can only enter your own runs and models."))
    if run is not None and form.is_valid():
        try:
            services.submit(
                user=request.user,
                challenge=obj,
                run=run,
                sampler=form.cleaned_data.get("sampler", ""),
                steps=form.cleaned_data.get("steps"),
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Your entry is waiting for evaluation."))
            return redirect(obj.get_absolute_url())
    elif run is None:
        form.is_valid()
        form.add_error("run", _("Choose one of your finished runs."))
    return render(
        request,
        "challenges/challenge.html",
        _challenge_context(request, obj, form=form),
        status=400,
    )


@login_required
@require_POST
def follow(request: HttpRequest, challenge_id: int) -> HttpResponse:
    obj = selectors.get_challenge(challenge_id)
    services.toggle_follow(user=request.user, challenge=obj)
    return redirect(obj.get_absolute_url())


# --- contests ------------------------------------------------------------------------------------


@require_safe
def contests(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        page=selectors.contest_page(cursor=request.GET.get("cursor")),
        name="contests",
        template="challenges/contests.html",
        partial="contest-rows",
        can_create=permissions.can_create_contest(request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_contest(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_contest(request.user):
        raise PermissionDenied(_("Only staff can create contests."))
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.create_contest(creator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(obj.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "challenges/new_contest.html", {"form": form}, status=status)


def _own_works(user):
    from agora.gallery.models import Work

    if not user.is_authenticated:
        return Work.objects.none()
    return Work.objects.filter(author=user, private=False).order_by("-created_at")[:50]


def _contest_context(request: HttpRequest, obj, form=None) -> dict:
    from agora.gallery.selectors import viewer_level

    if form is None and request.user.is_authenticated and obj.state == "entries":
        form = EnterForm(works=_own_works(request.user))
    return {
        "contest": obj,
        "entries": selectors.contest_entries(viewer=request.user, contest=obj),
        "votes_visible": permissions.votes_visible(obj),
        "my_votes": selectors.my_votes(viewer=request.user, contest=obj),
        "viewer_level": viewer_level(request.user),
        "form": form,
    }


@require_safe
def contest(request: HttpRequest, contest_id: int) -> HttpResponse:
    obj = selectors.get_contest(contest_id)
    return render(request, "challenges/contest.html", _contest_context(request, obj))


@login_required
@require_POST
def enter(request: HttpRequest, contest_id: int) -> HttpResponse:
    from agora.gallery.models import Work

    obj = selectors.get_contest(contest_id)
    form = EnterForm(request.POST, works=_own_works(request.user))
    work_id = parse_id(request.POST.get("work", ""))
    work = Work.objects.filter(pk=work_id).first() if work_id else None
    if work is None:
        form.add_error(None, _("Choose one of your works."))
    else:
        try:
            services.enter_contest(user=request.user, contest=obj, work=work)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Your work is entered."))
            return redirect(obj.get_absolute_url())
    return render(
        request, "challenges/contest.html", _contest_context(request, obj, form=form), status=400
    )


@login_required
@require_POST
def vote(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = Entry.objects.select_related("contest", "work").filter(pk=entry_id).first()
    if entry is None or not permissions.can_see_entry(request.user, entry):
        from django.http import Http404

        raise Http404("No such entry")
    try:
        services.vote(user=request.user, entry=entry)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(entry.contest.get_absolute_url())
    messages.success(request, _("Your vote is counted; results show when voting closes."))
    return redirect(entry.contest.get_absolute_url())
