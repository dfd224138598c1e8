"""manage.py import_usage and the admin upload: the API's guarantees, per-line rejections, safe reruns."""

import io

import pytest
from django.core.management import call_command

from billing import tenancy
from metering.selectors import stored_event_count

pytestmark = pytest.mark.django_db

CSV = """metric,idempotency_key,external_customer_id,value,properties,properties.region
transfer_gb,t1,{ext},1.5,"{{""model"": ""x""}}",eu
transfer_gb,t2,{ext},2,,us
transfer_gb,t3,{ext},abc,,
nope,t4,{ext},1,,
"""


def run(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_usage", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_csv_file_is_imported_once_and_bad_lines_are_named(tmp_path, make_account, make_metric):
    make_metric("transfer_gb", aggregation="sum", group_by=["region"])
    account = make_account()
    path = tmp_path / "usage.csv"
    path.write_text(CSV.format(ext=account.external_id))
    out, err = run(path)
    assert "4 lines: 2 accepted, 0 duplicates, 2 rejected" in out
    assert "line 4: value" in err and "line 5: metric" in err
    out, _ = run(path)
    assert "0 accepted, 2 duplicates" in out
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 2


def test_an_ndjson_file_is_imported(tmp_path, make_account, make_metric):
    make_metric("calls")
    account = make_account()
    path = tmp_path / "usage.ndjson"
    path.write_text(
        f'{{"metric": "calls", "idempotency_key": "a", "account_id": {account.pk}}}\n'
        "\n"
        "{not json\n"
        f'{{"metric": "calls", "idempotency_key": "b", "account_id": {account.pk}}}\n')
    out, err = run(path)
    assert "3 lines: 2 accepted" in out and "line 3" in err


def test_the_admin_upload_imports_a_file(client, make_account, make_metric):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_metric("calls")
    account = make_account()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    upload = SimpleUploadedFile("u.ndjson", f'{{"metric": "calls", "idempotency_key": "a", "account_id": {account.pk}}}\n'
                                .encode())
    response = client.post("/admin/billing/billablemetric/upload-usage/", {"file": upload, "format": "ndjson"},
                           follow=True)
    assert response.status_code == 200
    assert "1 accepted" in response.content.decode()
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 1


def test_a_metric_is_created_in_the_admin_through_the_service(client, make_account):
    from django.contrib.auth import get_user_model

    from billing.models import AuditEntry, BillableMetric

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    data = {"code": "llm_tokens", "name": "LLM tokens", "unit": "token", "aggregation": "sum",
            "field_name": "tokens", "filters": "{}", "group_by": '["model"]', "is_active": "on", "description": ""}
    response = client.post("/admin/billing/billablemetric/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenancy.operator_scope():
        assert BillableMetric.objects.get(code="llm_tokens").group_by == ["model"]
        assert AuditEntry.objects.filter(action="billable_metric.created").exists()
    bad = client.post("/admin/billing/billablemetric/add/", {**data, "code": "x2", "group_by": '"model"'})
    assert bad.status_code == 200 and "list of property names" in bad.content.decode()
