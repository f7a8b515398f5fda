from django.contrib import admin

from feeds.models import FeedToken


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
