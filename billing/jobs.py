"""The Celery base task: every job runs in the operator scope, as a system actor."""

from celery import Task

from billing.context import Actor, acting_as
from billing.tenancy import operator_scope


class OperatorTask(Task):
    def __call__(self, *args, **kwargs):
        with operator_scope(), acting_as(Actor(type="system", id=self.name, label=self.name)):
            return super().__call__(*args, **kwargs)
