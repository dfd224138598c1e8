"""Enums with a label per member, usable as a Django field's `choices` without importing Django.

    class ChargeModel(LabelledChoices):
        STANDARD = "standard", "Standard (per unit or per block of N units)"

A member is its value (a `str`: `ChargeModel.STANDARD == "standard"`) with a `label`;
the class has `choices` ([(value, label), ...]) and `values`, as Django's `TextChoices`,
so a model field takes `choices=ChargeModel.choices` and the pure code and the models
share one enum.
"""

from __future__ import annotations

from enum import EnumType, StrEnum


class _LabelledType(EnumType):
    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]

    @property
    def labels(cls) -> list[str]:
        return [member.label for member in cls]


class LabelledChoices(StrEnum, metaclass=_LabelledType):
    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member
