from django import forms
from django.utils.translation import gettext_lazy

from agora.lab.models import FAMILY_CHOICES


class RunForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120, required=False)
    family = forms.ChoiceField(label=gettext_lazy("Model family"), choices=FAMILY_CHOICES)
    dataset = forms.ChoiceField(label=gettext_lazy("Data set"), choices=())
    preset = forms.ChoiceField(
        label=gettext_lazy("Preset"),
        choices=[("quick", gettext_lazy("Quick")), ("quality", gettext_lazy("Quality"))],
    )
    steps = forms.IntegerField(
        label=gettext_lazy("Training steps"),
        required=False,
        help_text=gettext_lazy("Empty: the preset's number of steps for this family and data set."),
    )
    seed = forms.IntegerField(label=gettext_lazy("Seed"), initial=0)
    cpu_budget_minutes = forms.IntegerField(
        label=gettext_lazy("CPU budget (minutes)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        help_text=gettext_lazy("Empty: no budget. A run that spends it stops and fails."),
    )
    private = forms.BooleanField(label=gettext_lazy("Private run"), required=False)
    base_model = forms.ChoiceField(
        label=gettext_lazy("Start from"),
        required=False,
        choices=(),
        help_text=gettext_lazy(
            "A published model of the same family: the run fine-tunes its weights on your data "
            "set (new classes extend its class embedding, new characters its vocabulary)."
        ),
    )
    freeze_blocks = forms.IntegerField(
        label=gettext_lazy("Frozen blocks"),
        required=False,
        min_value=0,
        initial=0,
        help_text=gettext_lazy(
            "Fine-tunes only: the base's first N blocks keep their weights (a text model's first "
            "N transformer blocks and its embeddings; a UNet's first N resolution levels). "
            "0: every layer learns. On a small data set, frozen blocks keep more of what the "
            "base knew."
        ),
    )
    lr = forms.FloatField(
        label=gettext_lazy("Learning rate"),
        required=False,
        help_text=gettext_lazy(
            "Empty: the preset's (0.003 for a quick text model, 0.001 for most image models). "
            "Between 0.000001 and 0.1; a fine-tune on little data often learns best at a third "
            "to a tenth of the preset's."
        ),
    )

    def __init__(
        self, *args, datasets, bases, families=None, preset_lr: float | None = None, **kwargs
    ) -> None:
        """`bases`: the models the member may start from (of the chosen family); `families`:
        the families left to choose (a fine-tune keeps its base's); `preset_lr`: the preset's
        learning rate when the family is known, shown in the empty field."""
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = datasets
        self.fields["base_model"].choices = bases
        if families is not None:
            self.fields["family"].choices = [c for c in FAMILY_CHOICES if c[0] in families]
        if preset_lr is not None:
            self.fields["lr"].widget.attrs["placeholder"] = f"{preset_lr:g}"

    def clean_base_model(self) -> int | None:
        value = self.cleaned_data["base_model"]
        return int(value) if value else None


class PublishForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Model name"), max_length=120)
    licence = forms.ChoiceField(
        label=gettext_lazy("Licence"),
        choices=[
            ("cc-by-4.0", "CC BY 4.0"),
            ("mit", "MIT"),
            ("apache-2.0", "Apache 2.0"),
            ("cc0-1.0", "CC0"),
        ],
    )
    private = forms.BooleanField(label=gettext_lazy("Private model"), required=False)
    card = forms.CharField(
        label=gettext_lazy("Model card (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class GenerateForm(forms.Form):
    sampler = forms.ChoiceField(
        label=gettext_lazy("Sampler"),
        choices=[("ddim", "DDIM"), ("ddpm", "DDPM"), ("direct", "direct")],
    )
    steps = forms.IntegerField(label=gettext_lazy("Steps"), initial=50)
    guidance = forms.FloatField(label=gettext_lazy("Guidance"), initial=0.0)
    eta = forms.FloatField(
        label=gettext_lazy("DDIM eta"),
        initial=0.0,
        required=False,
        help_text=gettext_lazy(
            "0: deterministic DDIM; 1: fresh noise at every step, as DDPM. On briefly trained "
            "models 1 often draws cleaner images."
        ),
    )
    seed = forms.IntegerField(label=gettext_lazy("Seed (empty: random)"), required=False)
    label = forms.CharField(
        label=gettext_lazy("Class labels (e.g. 3 or 1,2,3)"), required=False, max_length=200
    )
    count = forms.IntegerField(label=gettext_lazy("Images"), initial=16)

    DIFFUSION_ONLY = ("steps", "guidance", "eta")

    def __init__(self, *args, diffusion: bool = True, conditional: bool = True, **kwargs) -> None:
        """A diffusion model gets the DDIM/DDPM choices with steps, guidance and eta; a GAN or
        VAE samples directly, so those fields are left out; an unconditional model has no labels
        and no guidance to ask for."""
        super().__init__(*args, **kwargs)
        if diffusion:
            self.fields["sampler"].choices = [("ddim", "DDIM"), ("ddpm", "DDPM")]
        else:
            self.fields["sampler"].choices = [("direct", "direct")]
            for name in self.DIFFUSION_ONLY:
                del self.fields[name]
        if not conditional:
            del self.fields["label"]
            self.fields.pop("guidance", None)

    def clean_label(self) -> list[int]:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raw = self.cleaned_data["label"].replace("，", ",").strip()
        if not raw:
            return []
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError as exc:
            raise ValidationError(_("Labels are whole numbers separated by commas.")) from exc


class DatasetForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    archive = forms.FileField(
        label=gettext_lazy("Zip of images, or a text file"),
        help_text=gettext_lazy(
            "Images: a zip of PNG or JPEG files; one folder per class gives labels. Text: a "
            "UTF-8 .txt (one document per line) or .jsonl (one record per line, with a "
            '"text" field).'
        ),
    )


class TextGenerateForm(forms.Form):
    """A text model's recipe: the poem form and acrostic only for a model trained on poems of
    fixed form, and only the forms it was trained on."""

    prompt = forms.CharField(
        label=gettext_lazy("Prompt"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("The text starts with it (one line); empty: the model begins."),
    )
    # offered: the forms the model was trained on; another one posted gets the service's message
    # (no max_length: a select takes no maxlength; the service refuses any unknown form)
    form = forms.CharField(label=gettext_lazy("Poem form"), required=False, widget=forms.Select())
    acrostic = forms.CharField(
        label=gettext_lazy("Acrostic (藏头诗)"),
        required=False,
        max_length=8,
        help_text=gettext_lazy("Characters that start each line, in order."),
    )
    temperature = forms.FloatField(label=gettext_lazy("Temperature"), initial=0.8)
    top_k = forms.IntegerField(
        label=gettext_lazy("Top-k"), initial=0, help_text=gettext_lazy("0: off.")
    )
    top_p = forms.FloatField(
        label=gettext_lazy("Top-p"), initial=1.0, help_text=gettext_lazy("1: off.")
    )
    seed = forms.IntegerField(label=gettext_lazy("Seed (empty: random)"), required=False)
    length = forms.IntegerField(
        label=gettext_lazy("Length (tokens)"),
        initial=120,
        help_text=gettext_lazy("A poem form sets its own length."),
    )
    count = forms.IntegerField(label=gettext_lazy("Texts"), initial=4)

    def __init__(self, *args, poem_forms: dict[str, str], **kwargs) -> None:
        """`poem_forms`: the model's trained forms, key -> name; none: no form, no acrostic."""
        super().__init__(*args, **kwargs)
        if poem_forms:
            self.fields["form"].widget.choices = [
                ("", gettext_lazy("Free text")),
                *poem_forms.items(),
            ]
        else:
            del self.fields["form"]
            del self.fields["acrostic"]
            self.fields["length"].help_text = ""
