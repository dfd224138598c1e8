def test_account_create_is_visible_in_operator_scope(make_account, operator):
    from billing.models import Account

    account = make_account("Acme")
    assert Account.objects.filter(pk=account.pk).exists()
