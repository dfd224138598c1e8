"""Every read of an account's usage, through the API: what the hostile-usage tests call after ingesting."""

from billing import tenancy
from billing.models import Subscription


def read_everything(client, account, metrics) -> dict[str, tuple[int, dict]]:
    """{path: (status, body)} of usage/current, usage/history, usage/{metric} and quotas/check per metric,
    and the upcoming invoice of each of the account's subscriptions. The client's key needs
    usage:read and billing:read."""
    answers = {}

    def get(path):
        response = client.get(path)
        answers[path] = (response.status_code, response.json())

    get("/api/v1/usage/current")
    get("/api/v1/usage/history?periods=2")
    for metric in metrics:
        get(f"/api/v1/usage/{metric}?granularity=day")
        get(f"/api/v1/usage/{metric}?granularity=hour")
        response = client.post("/api/v1/quotas/check", {"metric": metric}, format="json")
        answers[f"quotas/check {metric}"] = (response.status_code, response.json())
    with tenancy.operator_scope():
        subscriptions = list(Subscription.objects.filter(account=account).values_list("pk", flat=True))
    for pk in subscriptions:
        get(f"/api/v1/invoices/upcoming?subscription_id={pk}")
    return answers


def server_errors(answers: dict) -> dict:
    return {path: answer for path, answer in answers.items() if answer[0] >= 500}
