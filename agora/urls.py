from django.contrib import admin
from django.urls import include, path, re_path

from agora.accounts import views as account_views
from agora.core import views as core_views
from agora.core.sitemaps import sitemap_view
from agora.forum import views as forum_views

handler500 = "agora.core.views.server_error"

urlpatterns = [
    path("", forum_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("sitemap.xml", sitemap_view, name="sitemap"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("i18n/settz/", core_views.set_timezone, name="set_timezone"),
    # before the admin's own: its login form has no failed-login throttle
    path("admin/login/", account_views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("agora.accounts.urls")),
    path("", include("agora.forum.urls")),
    path("notifications/", include("agora.notifications.urls")),
    path("", include("agora.moderation.urls")),
    path("events/", include("agora.events.urls")),
    path("learn/", include("agora.learn.urls")),
    path("search/", include("agora.search.urls")),
    path("", include("agora.showcase.urls")),
    path("gallery/", include("agora.gallery.urls")),
    path("about/", include("agora.pages.urls")),
    path("following/", include("agora.following.urls")),
    path("lab/", include("agora.lab.urls")),
    path("challenges/", include("agora.challenges.urls")),
    path("api/", include("agora.api.urls")),
]

# Uploaded media: checked here, then sent from disk or redirected to S3 (agora/core/views.py).
urlpatterns += [
    re_path(r"^media/(?P<path>.*)$", core_views.media, name="media"),
]
