"""Operator staff roles: Django groups `finance_admin` (change) and `finance_viewer` (read)."""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

FINANCE_ADMIN = "finance_admin"
FINANCE_VIEWER = "finance_viewer"
# Tables no person edits by hand, even a finance admin: only views are granted.
READ_ONLY_MODELS = {"auditentry", "outboxevent"}
# Powers no group carries: a superuser grants them to one person at a time.
PERSONAL_PERMISSIONS = {"mint_admin_keys"}


def sync_finance_groups(app_config, using: str = "default") -> None:
    """Give both groups their permissions on every model of one of our apps."""
    admin, _ = Group.objects.using(using).get_or_create(name=FINANCE_ADMIN)
    viewer, _ = Group.objects.using(using).get_or_create(name=FINANCE_VIEWER)
    models = list(app_config.get_models())
    if not models:
        return
    content_types = ContentType.objects.db_manager(using).get_for_models(*models, for_concrete_models=False)
    permissions = (Permission.objects.using(using).filter(content_type__in=content_types.values())
                   .exclude(codename__in=PERSONAL_PERMISSIONS))
    for permission in permissions:
        model_name = permission.content_type.model
        is_view = permission.codename.startswith("view_")
        if is_view:
            viewer.permissions.add(permission)
        if is_view or model_name not in READ_ONLY_MODELS:
            admin.permissions.add(permission)
