"""The UN/ECE Recommendation 20 code that names a unit on e-invoices: suggested from the unit people
read (GB, hour, call), checked by its shape."""

import pytest

from billing.units import unit_code_for, unit_code_problem


@pytest.mark.parametrize(("unit", "code"), [
    ("GB", "E34"), ("gigabytes", "E34"), ("MB", "4L"), ("kilobyte", "2P"), ("TB", "E35"), ("GiB", "E62"),
    ("hour", "HUR"), ("Hours", "HUR"), ("minute", "MIN"), ("seconds", "SEC"), ("kWh", "KWH"),
    ("call", "C62"), ("api_calls", "C62"), ("token", "C62"), ("seat", "C62"), ("", "C62"),
])
def test_a_units_name_suggests_its_rec20_code(unit, code):
    assert unit_code_for(unit) == code


@pytest.mark.parametrize("code", ["c62", "E", "E345", "E 3", 62, None])
def test_a_code_of_the_wrong_shape_is_named(code):
    assert unit_code_problem(code)
