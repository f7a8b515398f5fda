from django.contrib import admin

from groupsite import freshness
from groupsite.admin import ReadOnlyModelAdmin
from topics.audit import AuditEntry
from topics.sanctions import Sanction
from topics.models import (
    Group,
    Invitation,
    JoinRequest,
    Membership,
    Milestone,
    Outcome,
    OutcomeRevision,
    Poll,
    PollOption,
    Prompt,
    PromptAnnouncement,
    PromptProgramme,
    Topic,
    Vote,
)


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

    # Cached pages show the group, its topics and its members' role badges (groupsite/freshness.py): an edit here,
    # its inlines' included, shows at once.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        topics = list(form.instance.topics.values_list("pk", flat=True))
        freshness.changed(topics=topics, groups=[form.instance.pk])


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["role", "group"]
    search_fields = ["user__username", "user__email", "user__display_name", "group__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "group"]

    # Thread pages show moderators' and owners' role badges, cached under the group's version.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        freshness.changed(groups=[obj.group_id, *([form.initial["group"]] if form.initial.get("group") else [])])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        freshness.changed(groups=[obj.group_id])

    def delete_queryset(self, request, queryset):
        groups = sorted(set(queryset.values_list("group_id", flat=True)))
        super().delete_queryset(request, queryset)
        freshness.changed(groups=groups)


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
    readonly_fields = ["briefing_html"]  # derived HTML, shown escaped: only the renderer writes it (Topic.save)

    # Cached pages show a topic's title and briefing, on its group's page too (groupsite/freshness.py).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        groups = [obj.group_id, *([form.initial["group"]] if form.initial.get("group") else [])]
        freshness.changed(topics=[obj.pk], groups=groups)


class PollOptionInline(admin.TabularInline):
    model = PollOption
    extra = 0


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "status", "publish_at", "closes_at", "chatham_house", "author"]
    list_filter = ["status", "chatham_house", "topic__group"]
    search_fields = ["title", "context"]
    list_select_related = ["topic", "author"]
    raw_id_fields = ["author", "milestone"]
    readonly_fields = ["thread", "published_at", "closed_at", "context_html"]  # context_html: rendered by Prompt.save


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["prompt", "kind", "results_visibility", "reason_required", "quorum"]
    list_filter = ["kind", "results_visibility"]
    search_fields = ["prompt__title", "statement"]
    list_select_related = ["prompt"]
    raw_id_fields = ["prompt"]
    inlines = [PollOptionInline]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["user", "poll", "option", "updated_at"]
    search_fields = ["user__username", "poll__prompt__title", "reason"]
    list_select_related = ["user", "poll__prompt", "option"]
    raw_id_fields = ["user", "poll", "option"]


class OutcomeRevisionInline(admin.TabularInline):
    model = OutcomeRevision
    extra = 0
    fields = ["written_at", "author", "takeaways"]
    readonly_fields = fields
    can_delete = False


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "topic", "author", "updated_at", "review_on"]
    list_filter = ["topic__group"]
    search_fields = ["takeaways", "open_questions", "dissent", "prompt__title", "topic__title"]
    list_select_related = ["topic", "prompt", "author"]
    raw_id_fields = ["prompt", "author"]
    readonly_fields = ["takeaways_html", "open_questions_html", "dissent_html"]  # rendered by Outcome.save
    inlines = [OutcomeRevisionInline]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "happens_at"]
    list_filter = ["group"]
    search_fields = ["title"]
    list_select_related = ["group"]


@admin.register(PromptProgramme)
class PromptProgrammeAdmin(admin.ModelAdmin):
    list_display = ["group", "is_active", "weekday", "time_of_day", "next_release_at", "close_previous"]
    list_filter = ["is_active"]
    search_fields = ["group__name"]
    readonly_fields = ["next_release_at"]
    raw_id_fields = ["last_topic", "last_prompt", "updated_by"]


@admin.register(PromptAnnouncement)
class PromptAnnouncementAdmin(admin.ModelAdmin):
    list_display = ["prompt", "user", "created_at", "notified_at"]
    search_fields = ["prompt__title", "user__username"]
    list_select_related = ["prompt", "user"]
    raw_id_fields = ["prompt", "user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    """The moderation log is read-only everywhere, here too: nobody edits or deletes what happened."""

    list_display = ["created_at", "group", "actor", "action", "target_user", "summary"]
    list_filter = ["action", "group"]
    search_fields = ["summary", "reason", "actor__username", "target_user__username"]
    list_select_related = ["group", "actor", "target_user"]


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyModelAdmin):
    """Suspensions and bans are given and lifted on the member list, where they reach the moderation log."""

    list_display = ["user", "group", "kind", "starts_at", "ends_at", "lifted_at", "created_by"]
    list_filter = ["kind", "group"]
    search_fields = ["user__username", "user__display_name", "reason"]
    list_select_related = ["user", "group", "created_by"]
