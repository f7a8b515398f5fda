from django.contrib import admin

from discussions import changes
from discussions.models import (
    DigestDelivery, FeedToken, Flag, Notification, Post, PostRevision, Subscription, Thread, ThreadRead,
)
from discussions.reactions import Bookmark, Reaction
from groupsite.admin import ReadOnlyModelAdmin


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "author", "post_count", "view_count", "is_pinned", "is_locked", "last_activity_at"]
    list_filter = ["is_pinned", "is_locked", "topic__group", "topic"]
    search_fields = ["title", "author__username"]
    list_select_related = ["topic", "author"]
    raw_id_fields = ["author"]
    readonly_fields = ["post_count", "view_count", "created_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        left = [form.initial["topic"]] if change and form.initial.get("topic") else []
        changes.thread_changed(obj.pk, also_topics=left)  # cached pages show it (groupsite/freshness.py)


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    fields = ["written_at", "replaced_at", "replaced_by", "body"]
    readonly_fields = fields
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "created_at", "edited_at", "deleted_at"]
    list_filter = ["thread__topic__group"]
    search_fields = ["body", "author__username", "thread__title"]
    list_select_related = ["thread", "author"]
    raw_id_fields = ["thread", "author", "deleted_by", "hidden_by"]
    readonly_fields = ["number", "body_html", "created_at", "edited_at"]  # body_html: only the renderer writes it
    inlines = [PostRevisionInline]

    def save_model(self, request, obj, form, change):
        from discussions.markdown import render_markdown

        obj.body_html = render_markdown(obj.body)  # an admin edit must stay sanitized
        super().save_model(request, obj, form, change)
        changes.post_changed(obj)  # cached thread pages show it (groupsite/freshness.py)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        changes.thread_changed(obj.thread_id)

    def delete_queryset(self, request, queryset):
        thread_ids = set(queryset.values_list("thread_id", flat=True))
        super().delete_queryset(request, queryset)
        for thread_id in thread_ids:
            changes.thread_changed(thread_id)


@admin.register(PostRevision)
class PostRevisionAdmin(admin.ModelAdmin):
    list_display = ["post", "written_at", "replaced_at", "replaced_by"]
    search_fields = ["body"]
    raw_id_fields = ["post", "replaced_by"]
    list_select_related = ["post__thread", "replaced_by"]
    # Derived HTML is shown escaped, never typed: only the renderer writes it.
    readonly_fields = ["body_html"]

    def save_model(self, request, obj, form, change):
        from discussions.markdown import render_markdown

        obj.body_html = render_markdown(obj.body)
        super().save_model(request, obj, form, change)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "level", "group", "topic", "thread", "created_at"]
    list_filter = ["level"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user", "group", "topic", "thread"]
    list_select_related = ["user", "group", "topic", "thread"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "group", "thread", "created_at", "read_at", "email_due_at", "emailed_at"]
    list_filter = ["kind", "group"]
    search_fields = ["user__username", "user__email", "thread__title"]
    raw_id_fields = ["user", "actor", "group", "thread", "post", "prompt"]
    list_select_related = ["user", "group", "thread"]


@admin.register(ThreadRead)
class ThreadReadAdmin(admin.ModelAdmin):
    list_display = ["user", "thread", "last_read_number", "updated_at"]
    search_fields = ["user__username", "thread__title"]
    raw_id_fields = ["user", "thread"]
    list_select_related = ["user", "thread"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "period", "frequency", "status", "covers_from", "covers_until", "sent_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "flagged_by", "reason", "created_at", "resolution", "resolved_by"]
    list_filter = ["reason", "resolution", "post__thread__topic__group"]
    search_fields = ["text", "flagged_by__username", "post__thread__title"]
    list_select_related = ["post__thread", "flagged_by", "resolved_by"]
    raw_id_fields = ["post", "flagged_by", "resolved_by"]
    readonly_fields = ["created_at"]


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyModelAdmin):
    """Members' reactions: to look at (who found what insightful), never to edit by hand."""

    list_display = ["post", "user", "kind", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["post__thread", "user"]
    raw_id_fields = ["post", "user"]


@admin.register(Bookmark)
class BookmarkAdmin(ReadOnlyModelAdmin):
    list_display = ["post", "user", "created_at"]
    list_select_related = ["post__thread", "user"]
    raw_id_fields = ["post", "user"]


@admin.register(FeedToken)
class FeedTokenAdmin(admin.ModelAdmin):
    """Who has a secret feed address, and since when; deleting one retires it. The token itself is never shown:
    it is a key to a private group, and staff have no need of it."""

    list_display = ["membership", "created_at"]
    list_filter = ["membership__group"]
    search_fields = ["membership__user__username", "membership__group__name"]
    list_select_related = ["membership__user", "membership__group"]
    fields = ["membership", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # members make their own from the group's follow page
