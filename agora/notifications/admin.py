from django.contrib import admin

from agora.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "actor", "topic", "post", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("user", "actor", "topic", "post")
    search_fields = ("user__username",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
