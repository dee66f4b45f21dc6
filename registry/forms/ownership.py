"""Reassigning a use case's owners."""

from django import forms
from django.db.models import Q

from accounts.models import User


def team_people(team):
    """Active people who may own a team's use cases: members of the team or of its parent."""
    teams = Q(memberships__team=team)
    if team.parent_id:
        teams |= Q(memberships__team_id=team.parent_id)
    return (
        User.objects.filter(teams, is_active=True).distinct().order_by("first_name", "last_name", "username")
    )


class UseCaseOwnersForm(forms.Form):
    """Owner (required) and backup owner, chosen among the team's active people."""

    owner = forms.ModelChoiceField(queryset=User.objects.none(), help_text="Accountable for the tool.")
    backup_owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Takes over if the owner leaves."
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        people = team_people(team)
        self.fields["owner"].queryset = people
        self.fields["backup_owner"].queryset = people
        for field in self.fields.values():
            field.label_from_instance = lambda user: (
                f"{user.get_full_name() or user.username} ({user.username})"
            )
