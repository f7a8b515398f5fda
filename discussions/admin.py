from django.contrib import admin

from discussions.models import Post, PostRevision, Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "author", "post_count", "view_count", "is_pinned", "is_locked", "last_activity_at"]
    list_filter = ["is_pinned", "is_locked", "topic__group", "topic"]
    search_fields = ["title", "author__username"]
    list_select_related = ["topic", "author"]
    raw_id_fields = ["author"]
    readonly_fields = ["post_count", "view_count", "created_at"]


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
    raw_id_fields = ["thread", "author", "deleted_by"]
    readonly_fields = ["number", "body_html", "created_at", "edited_at"]
    inlines = [PostRevisionInline]

    def save_model(self, request, obj, form, change):
        from discussions.markdown import render_markdown

        obj.body_html = render_markdown(obj.body)  # an admin edit must stay sanitized
        super().save_model(request, obj, form, change)


@admin.register(PostRevision)
class PostRevisionAdmin(admin.ModelAdmin):
    list_display = ["post", "written_at", "replaced_at", "replaced_by"]
    search_fields = ["body"]
    raw_id_fields = ["post", "replaced_by"]
    list_select_related = ["post__thread", "replaced_by"]
