from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from groupsite.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "display_name", "affiliation", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "email", "display_name", "affiliation")
    fieldsets = DjangoUserAdmin.fieldsets + (("Profile", {"fields": ("display_name", "affiliation", "bio")}),)
