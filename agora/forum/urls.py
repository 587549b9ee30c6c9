from django.urls import path

from agora.forum import views
from agora.forum.feeds import CategoryFeed, LatestTopicsFeed, TagFeed, TopicFeed, atom

app_name = "forum"

urlpatterns = [
    path("latest/", views.latest, name="latest"),
    path("new/", views.new, name="new"),
    path("unread/", views.unread, name="unread"),
    path("top/", views.top, name="top"),
    path("categories/", views.categories, name="categories"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("categories.css", views.category_css, name="category_css"),
    path("tags/", views.tags, name="tags"),
    path("tags/suggest/", views.tag_suggestions, name="tag_suggestions"),
    path("tag/<str:name>/", views.tag, name="tag"),
    path("t/<str:slug>/<int:topic_id>/", views.topic, name="topic"),
    path("t/<str:slug>/<int:topic_id>/<int:number>/", views.topic, name="topic_post"),
    path("t/<int:topic_id>/reply/", views.reply, name="reply"),
    path("t/<int:topic_id>/notifications/", views.topic_notifications, name="topic_notifications"),
    path("t/<int:topic_id>/moderate/", views.moderate_topic, name="moderate_topic"),
    path("new-topic/", views.new_topic, name="new_topic"),
    path("p/<int:post_id>/edit/", views.edit_post, name="edit_post"),
    path("p/<int:post_id>/revisions/", views.revisions, name="revisions"),
    path("p/<int:post_id>/delete/", views.delete_post, name="delete_post"),
    path("p/<int:post_id>/restore/", views.restore_post, name="restore_post"),
    path("p/<int:post_id>/like/", views.like, name="like"),
    path("p/<int:post_id>/bookmark/", views.bookmark, name="bookmark"),
    path("p/<int:post_id>/accept/", views.accept, name="accept"),
    path("composer/preview/", views.preview, name="preview"),
    path("composer/draft/", views.save_draft, name="save_draft"),
    path("composer/upload/", views.upload, name="upload"),
    path("latest.rss", LatestTopicsFeed(), name="feed_latest"),
    path("latest.atom", atom(LatestTopicsFeed), name="feed_latest_atom"),
    path("c/<slug:slug>.rss", CategoryFeed(), name="feed_category"),
    path("c/<slug:slug>.atom", atom(CategoryFeed), name="feed_category_atom"),
    path("tag/<str:name>.rss", TagFeed(), name="feed_tag"),
    path("tag/<str:name>.atom", atom(TagFeed), name="feed_tag_atom"),
    path("t/<int:topic_id>.rss", TopicFeed(), name="feed_topic"),
    path("t/<int:topic_id>.atom", atom(TopicFeed), name="feed_topic_atom"),
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("messages/", views.messages_inbox, name="messages"),
    path("messages/new/", views.new_message, name="new_message"),
]
