from django.contrib import admin

from agora.forum.models import Category, CategoryGroupAccess, Post, Tag, TagGroup, Topic


class CategoryGroupAccessInline(admin.TabularInline):
    model = CategoryGroupAccess
    extra = 1


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "name_zh",
        "slug",
        "parent",
        "position",
        "everyone_access",
        "is_question_answer",
        "topic_count",
    )
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CategoryGroupAccessInline]
    filter_horizontal = ("allowed_tag_groups",)
    readonly_fields = ("topic_count", "post_count")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "topic_count")
    search_fields = ("name",)


@admin.register(TagGroup)
class TagGroupAdmin(admin.ModelAdmin):
    filter_horizontal = ("tags",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "author",
        "post_count",
        "closed",
        "pinned_globally",
        "deleted_at",
    )
    list_filter = ("category", "closed", "is_private")
    search_fields = ("title",)
    raw_id_fields = ("author", "last_poster", "accepted_answer")
    filter_horizontal = ("tags",)
    readonly_fields = ("participants",)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("topic", "number", "author", "created_at", "deleted_at", "hidden")
    raw_id_fields = ("topic", "author", "reply_to", "deleted_by")
    readonly_fields = ("html",)
