from django import forms

from agora.notifications.models import NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = [
            "email_on_mention",
            "email_on_reply",
            "email_on_private_message",
            "email_on_events",
            "email_on_challenges",
            "notify_on_followed",
        ]
