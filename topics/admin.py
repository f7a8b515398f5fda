from django.contrib import admin

from topics.models import Group, Invitation, JoinRequest, Membership, Topic


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    fields = ["position", "title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    show_change_link = True


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TopicInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["role", "group"]
    search_fields = ["user__username", "user__email", "user__display_name", "group__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "group"]


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "group"]
    search_fields = ["user__username", "user__email", "group__name"]
    list_select_related = ["user", "group", "decided_by"]
    raw_id_fields = ["user", "decided_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["group", "email", "created_by", "created_at", "expires_at", "revoked_at", "accepted_at", "use_count"]
    list_filter = ["group"]
    search_fields = ["email", "group__name", "token"]
    list_select_related = ["group", "created_by"]
    readonly_fields = ["token", "use_count"]
    raw_id_fields = ["created_by"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "position", "thread_count", "post_count", "last_activity_at"]
    list_filter = ["group"]
    search_fields = ["title", "briefing"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["group"]
