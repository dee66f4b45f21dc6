"""Per-object grants on use cases: django-guardian's direct-foreign-key permission models.

Ownership and team rules are plain foreign-key filters (``accounts.permissions``); these
tables hold only what those cannot express (a use case shared with one person or group).
Guardian's performance guide recommends direct foreign keys over its generic tables; guardian
finds these models by their ``content_object`` foreign key.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class UseCaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(
        "registry.UseCase", on_delete=models.CASCADE, related_name="user_grants"
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "use case grant to a person"


class UseCaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        "registry.UseCase", on_delete=models.CASCADE, related_name="group_grants"
    )

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "use case grant to a group"
