from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from agora.accounts import services
from agora.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "display_name", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "email", "display_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Profile"),
            {"fields": ("display_name", "avatar", "bio", "links", "skills", "interests")},
        ),
        (
            _("Preferences"),
            {"fields": ("language", "timezone")},
        ),
    )

    def delete_model(self, request, obj) -> None:
        services.delete_member(actor=request.user, member=obj)

    def delete_queryset(self, request, queryset) -> None:
        for member in queryset:
            services.delete_member(actor=request.user, member=member)
