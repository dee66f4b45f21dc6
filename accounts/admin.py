"""The Django admin of people, teams and memberships (for the registry's operators)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Membership, Team, User


class UserMembershipInline(admin.TabularInline):
    """The teams a person belongs to, on the person's page."""

    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["team"]
    fields = ["team", "role", "created_at"]
    readonly_fields = ["created_at"]


class TeamMembershipInline(admin.TabularInline):
    """The members of a team, on the team's page."""

    model = Membership
    fk_name = "team"
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin plus the job title, phone and team memberships."""

    fieldsets = (
        *DjangoUserAdmin.fieldsets[:2],
        ("Contact", {"fields": ("title", "phone")}),
        *DjangoUserAdmin.fieldsets[2:],
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Person", {"classes": ("wide",), "fields": ("first_name", "last_name", "email", "title")}),
    )
    list_display = ["username", "email", "first_name", "last_name", "title", "is_active", "is_staff"]
    inlines = [UserMembershipInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "kind", "parent", "slug"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "abbreviation", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TeamMembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "team"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]
    autocomplete_fields = ["user", "team"]
    readonly_fields = ["created_at"]
