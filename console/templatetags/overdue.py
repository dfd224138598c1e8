"""`{% overdue_standing as standing %}`: the signed-in account's overdue state, for the console banner
(templates/console/_overdue_banner.html): its state, the days past due and whether the person may pay."""

from types import SimpleNamespace

from django import template

from billing.models import OverdueState
from billing.selectors.standing import account_standing_of
from billing.views import MANAGER_ROLES

register = template.Library()


@register.simple_tag(takes_context=True)
def overdue_standing(context):
    membership = context["request"].active_membership
    standing = account_standing_of(membership.account_id)
    state = standing.overdue_state if standing else OverdueState.GOOD
    return SimpleNamespace(state=state, days=standing.days_past_due if standing else 0,
                           can_pay=membership.role in MANAGER_ROLES)
