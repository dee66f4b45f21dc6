"""Issue 8: the review queue's order from an index, and index-only counts of visible use cases.

``SecurityReview.risk_rank`` copies the use case's risk tier (``RISK_TIER_RANK``) so that the
queue (riskiest, then oldest) is read from the partial index ``registry_review_queue``; the
existing reviews are filled in here from their use cases' tiers.
"""

from django.conf import settings
from django.db import migrations, models


RISK_TIER_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def fill_risk_ranks(apps, schema_editor):
    SecurityReview = apps.get_model("registry", "SecurityReview")
    for tier, rank in RISK_TIER_RANK.items():
        SecurityReview.objects.filter(use_case__risk_tier=tier).update(risk_rank=rank)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_api_tokens'),
        ('registry', '0007_library_incidents'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='securityreview',
            name='risk_rank',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_risk_ranks, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='securityreview',
            index=models.Index(models.OrderBy(models.F('risk_rank'), descending=True), models.F('requested_at'), models.F('id'), condition=models.Q(('state__in', ['changes_requested', 'in_review', 'requested']), models.Q(('reviewer__isnull', True), ('spot_check', True), ('state', 'approved')), _connector='OR'), include=('state', 'use_case'), name='registry_review_queue'),
        ),
        migrations.AddIndex(
            model_name='usecase',
            index=models.Index(fields=['is_draft', 'owner', 'backup_owner', 'team', 'id'], name='registry_uc_visibility'),
        ),
    ]
