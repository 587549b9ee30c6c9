from django import forms
from django.utils.translation import gettext_lazy

from agora.challenges.models import Challenge, Contest
from agora.core.limits import max_length

SAMPLERS = [("ddim", "DDIM"), ("ddpm", "DDPM"), ("direct", "direct")]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


def _task_choices():
    from genlab.tasks import TASKS

    return [(key, key) for key in TASKS]


def _dataset_choices():
    from genlab.tasks import TASKS

    names = dict.fromkeys(name for task in TASKS.values() for name in task.datasets)
    return [(name, name) for name in names]


def _metric_choices():
    from genlab.tasks import TASKS

    names = dict.fromkeys(name for task in TASKS.values() for name in task.metrics)
    return [(name, name) for name in names]


class ChallengeForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=max_length(Challenge, "title"))
    title_zh = forms.CharField(
        label=gettext_lazy("Title in Chinese"),
        max_length=max_length(Challenge, "title_zh"),
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("Description (Markdown)"),
        max_length=max_length(Challenge, "description"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    description_zh = forms.CharField(
        label=gettext_lazy("Description in Chinese (Markdown)"),
        max_length=max_length(Challenge, "description_zh"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    task = forms.ChoiceField(label=gettext_lazy("Task"), choices=_task_choices)
    dataset = forms.ChoiceField(label=gettext_lazy("Data set"), choices=_dataset_choices)
    metric = forms.ChoiceField(label=gettext_lazy("Ranking metric"), choices=_metric_choices)
    cpu_budget_minutes = forms.IntegerField(
        label=gettext_lazy("CPU budget (training minutes)"), initial=10
    )
    seed = forms.IntegerField(label=gettext_lazy("Evaluation seed"), initial=0)
    count = forms.IntegerField(label=gettext_lazy("Samples per entry"), initial=500)
    samplers = forms.MultipleChoiceField(
        label=gettext_lazy("Samplers allowed"),
        choices=SAMPLERS,
        initial=["ddim", "ddpm", "direct"],
        widget=forms.CheckboxSelectMultiple,
        required=False,  # none ticked: all three; a text task fixes its sampler settings
        help_text=gettext_lazy("Image and 2-D tasks; a text task draws every entry alike."),
    )
    max_steps = forms.IntegerField(
        label=gettext_lazy("Most sampling steps"), initial=50, required=False
    )
    daily_limit = forms.IntegerField(
        label=gettext_lazy("Evaluated entries per member per day"), initial=3
    )
    opens_at = forms.DateTimeField(label=gettext_lazy("Opens at"), widget=DateTimeInput)
    closes_at = forms.DateTimeField(label=gettext_lazy("Closes at"), widget=DateTimeInput)

    def clean_max_steps(self) -> int:
        steps = self.cleaned_data["max_steps"]
        return 50 if steps is None else steps  # left empty (a text task has no steps): 50


class SubmitForm(forms.Form):
    # An id from a list of the member's runs; the service decides whether it may be entered.
    run = forms.IntegerField(label=gettext_lazy("Your finished run"), widget=forms.Select)
    sampler = forms.ChoiceField(label=gettext_lazy("Sampler"), choices=(), required=False)
    steps = forms.IntegerField(label=gettext_lazy("Sampling steps"), required=False, min_value=1)

    def __init__(self, *args, runs, samplers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["run"].widget.choices = [
            (str(r.id), f"{r.title} · {r.dataset} · {r.cpu_seconds / 60:.2f} CPU-min") for r in runs
        ]
        if not samplers:  # a text challenge: its protocol fixes the sampler settings
            del self.fields["sampler"], self.fields["steps"]
            return
        labels = dict(SAMPLERS)
        self.fields["sampler"].choices = [("", gettext_lazy("The family's default"))] + [
            (s, labels.get(s, s)) for s in samplers
        ]


class ContestForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=max_length(Contest, "title"))
    theme = forms.CharField(label=gettext_lazy("Theme"), max_length=max_length(Contest, "theme"))
    rules = forms.CharField(
        label=gettext_lazy("Rules (Markdown)"),
        max_length=max_length(Contest, "rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    require_recipe = forms.BooleanField(
        label=gettext_lazy("Entries need a verified lab recipe"), required=False
    )
    min_vote_trust = forms.IntegerField(label=gettext_lazy("Trust level needed to vote"), initial=1)
    opens_at = forms.DateTimeField(label=gettext_lazy("Entries open at"), widget=DateTimeInput)
    entries_close_at = forms.DateTimeField(
        label=gettext_lazy("Entries close at"), widget=DateTimeInput
    )
    voting_closes_at = forms.DateTimeField(
        label=gettext_lazy("Voting closes at"), widget=DateTimeInput
    )


class EnterForm(forms.Form):
    work = forms.ChoiceField(label=gettext_lazy("Your work"), choices=())

    def __init__(self, *args, works, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work"].choices = [(str(w.id), w.title) for w in works]
