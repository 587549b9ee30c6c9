from django.urls import path

from agora.events import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:event_id>/", views.detail, name="detail"),
    path("<int:event_id>/rsvp/", views.rsvp, name="rsvp"),
    path("<int:event_id>/cancel/", views.cancel, name="cancel"),
    path("<int:event_id>/materials/", views.materials, name="materials"),
    path("<int:event_id>.ics", views.event_ics, name="ics"),
    path("calendar/", views.my_calendar, name="my_calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
