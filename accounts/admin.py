"""The Django admin of people, teams and memberships (for the registry's operators)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiToken, Membership, Team, User
from .permissions import can_deactivate_people
from .services import user_deactivate
from .tokens import api_token_revoke


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
    actions = ["offboard"]

    # Offboarding: unticking "active" here, or the action below, goes through
    # accounts.services.user_deactivate (flags, backup owners, lead notifications), never a bare save.

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not can_deactivate_people(request.user):
            readonly.append("is_active")  # only admins offboard people
        return readonly

    def save_model(self, request, obj, form, change):
        offboard = change and "is_active" in form.changed_data and not obj.is_active
        if offboard:
            obj.is_active = True  # the service makes the change, with everything that goes with it
        super().save_model(request, obj, form, change)
        if offboard:
            result = user_deactivate(user=obj, actor=request.user)
            self.message_user(request, f"{obj} is offboarded: {result.summary()}.")

    def has_offboard_permission(self, request):
        return can_deactivate_people(request.user)

    @admin.action(description="Offboard selected people", permissions=["offboard"])
    def offboard(self, request, queryset):
        results = [user_deactivate(user=person, actor=request.user) for person in queryset.order_by("pk")]
        done = [result for result in results if not result.already_inactive]
        message = (
            f"{len(done)} {'person' if len(done) == 1 else 'people'} offboarded: "
            f"moved {sum(r.moved for r in done)}, flagged {sum(r.flagged for r in done)}, "
            f"leads notified {len(set().union(*(r.notified_ids for r in done)))}."
        )
        if len(done) < len(results):
            message += f" {len(results) - len(done)} had already left (nothing changed)."
        self.message_user(request, message)


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Everyone's API tokens, to find and revoke one (a leaked key is found by its prefix).

    Tokens are created by their owner on the profile page (where the key is shown once), never
    here; nothing but the name can be edited, and the key itself is not stored.
    """

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(request, f"{len(tokens)} token(s) revoked.")
