from django.contrib import admin

from agora.moderation.models import CommunitySettings, Flag, MemberStats, StaffAction


@admin.register(CommunitySettings)
class CommunitySettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return not CommunitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "reason", "resolution", "created_at")
    list_filter = ("reason", "resolution")
    raw_id_fields = ("post", "user", "resolved_by")


@admin.register(StaffAction)
class StaffActionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "topic", "post")
    list_filter = ("action",)
    readonly_fields = [f.name for f in StaffAction._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MemberStats)
class MemberStatsAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "trust_level",
        "trust_level_locked",
        "days_visited",
        "posts_read",
        "likes_received",
    )
    list_filter = ("trust_level",)
    raw_id_fields = ("user",)
    search_fields = ("user__username",)
