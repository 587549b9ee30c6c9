from django import forms
from django.utils.translation import gettext_lazy

from agora.gallery.models import Work


class UploadForm(forms.Form):
    # not required when a file chosen before is kept (services.keep_upload): `kept_name`
    image = forms.FileField(label=gettext_lazy("Image"), required=False)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    licence = forms.ChoiceField(label=gettext_lazy("Licence"), choices=Work.Licence.choices)
    nsfw = forms.TypedChoiceField(
        label=gettext_lazy("Content level"), choices=Work.NSFW.choices, coerce=int
    )
    tags = forms.CharField(label=gettext_lazy("Tags"), max_length=300, required=False)
    recipe_hidden = forms.BooleanField(
        label=gettext_lazy("Hide the recipe from others"), required=False
    )
    private = forms.BooleanField(label=gettext_lazy("Private: only I can see it"), required=False)
    remix_of = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kept_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_name = kept_name
        self.fields["image"].widget.attrs["aria-required"] = "true"

    def clean(self):
        data = super().clean()
        if not data.get("image") and not self.kept_name and "image" not in self.errors:
            self.add_error("image", self.fields["image"].error_messages["required"])
        return data
