from django.contrib import admin

from agora.events.models import RSVP, Event


class RSVPInline(admin.TabularInline):
    model = RSVP
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "timezone", "capacity", "cancelled")
    list_filter = ("kind", "cancelled")
    search_fields = ("title",)
    raw_id_fields = ("organizer", "topic")
    inlines = [RSVPInline]
