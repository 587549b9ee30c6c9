from django.contrib import admin

from agora.core.models import Job, OutboundEmail, WorkerHeartbeat


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    readonly_fields = ("created_at", "sent_at")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("hostname", "queues", "last_seen", "started_at")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs still owed: a row that stays has failed JOB_MAX_ATTEMPTS times (see last_error)."""

    list_display = ("task", "args", "attempts", "created_at", "claimed_at")
    readonly_fields = ("created_at", "claimed_at", "woken_at")
