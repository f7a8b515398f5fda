from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from groupsite import freshness
from groupsite.models import OutboxMessage, User

# What other people see of an account beside its posts, threads and outcomes (the profile link is by username).
SHOWN_EVERYWHERE = ("username", "display_name", "affiliation", "is_active")


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows the site writes itself: shown in the admin, never added or edited by hand, nor deleted unless
    `deletable`."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "display_name", "affiliation", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "email", "display_name", "affiliation")
    fieldsets = DjangoUserAdmin.fieldsets + (("Profile", {"fields": ("display_name", "affiliation", "bio")}),)

    # Cached pages show names everywhere (groupsite/freshness.py): a change here shows at once, as from the profile.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and any(field in form.changed_data for field in SHOWN_EVERYWHERE):
            freshness.changed(site=True)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        freshness.changed(site=True)  # their posts now show a former member

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        freshness.changed(site=True)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyModelAdmin):
    """What waits for the broker, and which emails were delivered: to look at, never to edit by hand."""

    deletable = True

    list_display = ["task", "created_at", "sent_at", "handoffs", "delivered_at"]
    list_filter = ["task"]
    search_fields = ["task"]
    date_hierarchy = "created_at"
