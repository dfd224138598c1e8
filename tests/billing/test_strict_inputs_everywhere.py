"""Every API endpoint reads its input strictly, so a new endpoint cannot forget to.

The walk goes through the URL resolver (every view of /api/v1/) and the OpenAPI
generator (the request and query serializers each operation declares), and through
the views' source (every serializer they call with `data=`): each must be a
`StrictInput` (or `StrictQuery`) made only of strict fields, with both bounds on every
integer, and must refuse a field it does not know. The bodies decoded by msgspec
(usage events, quota checks) must refuse unknown fields too.
"""

import ast
import importlib
import inspect
import textwrap

from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.views import APIView

from billing.api.strict import (
    StrictDictField,
    StrictField,
    StrictInput,
    StrictIntegerField,
    StrictJSONObjectField,
    StrictListField,
    StrictQuery,
    expect_no_parameters,
)


def api_views() -> set[type[APIView]]:
    found, pending = set(), [(get_resolver(), "")]
    while pending:
        resolver, prefix = pending.pop()
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                pending.append((entry, prefix + str(entry.pattern)))
            elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith("api/v1/"):
                view_class = getattr(entry.callback, "cls", None)
                if view_class is not None and issubclass(view_class, APIView):
                    found.add(view_class)
    return found


def operations():
    """(path, method, view) of every operation; a generator, since each view's schema lives only as long
    as the SchemaGenerator that made it."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _, method, view in generator._get_paths_and_endpoints():
        if path.startswith("/api/v1/"):
            yield path, method, view


def declared_serializers() -> dict[str, serializers.BaseSerializer]:
    """What the OpenAPI document says each operation reads: its body and its query serializers."""
    declared = {}
    for path, method, view in operations():
        body = view.schema.get_request_serializer()
        if body is not None:
            declared[f"{method} {path} body"] = body
        for parameter in view.schema.get_override_parameters():
            if isinstance(parameter, OpenApiParameter):
                continue
            declared[f"{method} {path} query"] = parameter
    return declared


def called_serializers() -> dict[str, type[serializers.BaseSerializer]]:
    """Every serializer class the API's view modules call with `data=` (what they really read)."""
    called = {}
    for module_name in sorted({view.__module__ for view in api_views()}):
        module = importlib.import_module(module_name)
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if not (isinstance(node, ast.Call) and any(k.arg == "data" for k in node.keywords)):
                continue
            target = _resolve(module, node.func)
            if inspect.isclass(target) and issubclass(target, serializers.BaseSerializer):
                called[f"{module_name}:{node.lineno}"] = target
    return called


def _resolve(module, node):
    if isinstance(node, ast.Name):
        return vars(module).get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(module, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def loose_parts(serializer, path: str) -> list[str]:
    """What is not strict in a serializer (an instance or a class), field by field."""
    if inspect.isclass(serializer):
        serializer = serializer()
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    problems = [] if isinstance(serializer, StrictInput) else [f"{path}: {type(serializer).__name__} is not a StrictInput"]
    for name, field in serializer.fields.items():
        problems += loose_field(field, f"{path}.{name}")
    return problems


def loose_field(field, path: str) -> list[str]:
    if isinstance(field, serializers.BaseSerializer):
        return loose_parts(field, path)
    if not isinstance(field, StrictField):
        return [f"{path}: {type(field).__name__} is not a strict field"]
    if isinstance(field, StrictListField | StrictDictField) and not isinstance(field, StrictJSONObjectField):
        return loose_field(field.child, f"{path}[]")
    if isinstance(field, StrictIntegerField) and None in (field.min_value, field.max_value):
        return [f"{path}: an integer without both bounds"]
    return []


def refuses_an_unknown_field(serializer) -> bool:
    serializer_class = type(serializer) if not inspect.isclass(serializer) else serializer
    if issubclass(serializer_class, serializers.ListSerializer):
        serializer_class = type(serializer.child)
    if issubclass(serializer_class, StrictQuery):
        data = QueryDict("surely_not_a_field=1")
    else:
        data = {"surely_not_a_field": 1}
    checked = serializer_class(data=data, partial=True)
    return not checked.is_valid() and "surely_not_a_field" in checked.errors


def test_every_declared_request_and_query_serializer_is_strict():
    class Loose(serializers.Serializer):
        amount = serializers.IntegerField()

    class HalfStrict(StrictInput):
        amount = serializers.IntegerField()

    # The walk itself: it sees the API and would catch a loose serializer.
    assert len(api_views()) > 40
    assert loose_parts(Loose, "Loose") and not refuses_an_unknown_field(Loose)
    assert loose_parts(HalfStrict, "HalfStrict") == ["HalfStrict.amount: IntegerField is not a strict field"]
    declared = declared_serializers()
    assert len(declared) > 30
    problems = []
    for where, serializer in declared.items():
        problems += loose_parts(serializer, where)
        if not refuses_an_unknown_field(serializer):
            problems.append(f"{where}: accepts an unknown field")
    assert problems == []


def test_views_read_their_input_only_through_strict_serializers():
    called = called_serializers()
    assert len(called) > 25
    problems = []
    for where, serializer_class in called.items():
        problems += loose_parts(serializer_class, f"{where} {serializer_class.__name__}")
        if not refuses_an_unknown_field(serializer_class):
            problems.append(f"{where}: {serializer_class.__name__} accepts an unknown field")
    # `request.data["x"]` would skip every check: the body goes to a serializer as `data=request.data`.
    for module_name in sorted({view.__module__ for view in api_views()}):
        tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
        handed_over = {id(k.value) for node in ast.walk(tree) if isinstance(node, ast.Call)
                       for k in node.keywords if k.arg == "data"}
        problems += [f"{module_name}:{node.lineno} reads request.data itself" for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and node.attr == "data"
                     and isinstance(node.value, ast.Name) and node.value.id == "request" and id(node) not in handed_over]
    assert problems == []


def test_writes_that_take_no_body_refuse_fields_sent_to_them():
    """`{"resume_at": ...}` sent to /resume would otherwise resume now: such handlers call expect_no_fields."""
    problems, checked = [], 0
    for path, method, view in operations():
        if method not in ("POST", "PUT", "PATCH", "DELETE") or view.schema.get_request_serializer() is not None:
            continue
        checked += 1
        handler = getattr(type(view), method.lower())
        calls = {node.func.id for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(handler))))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        if "expect_no_fields" not in calls:
            problems.append(f"{method} {path}")
    assert checked > 10
    assert problems == []


def test_lists_refuse_query_parameters_they_do_not_know():
    """A list reads its query string with a StrictQuery, or calls expect_no_parameters: `?invoice_id=7` on a
    list without that filter would otherwise list everything."""
    problems, lists = [], 0
    for path, method, view in operations():
        if method != "GET":
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(type(view).get)))
        if not any(isinstance(node, ast.Attribute) and node.attr == "paginated" for node in ast.walk(tree)):
            continue
        lists += 1
        module = importlib.import_module(type(view).__module__)
        named = [_resolve(module, node) for node in ast.walk(tree) if isinstance(node, ast.Name | ast.Attribute)]
        if not any(thing is expect_no_parameters or (inspect.isclass(thing) and issubclass(thing, StrictQuery))
                   for thing in named):
            problems.append(f"GET {path}")
    assert lists > 10
    assert problems == []


def test_bodies_decoded_by_msgspec_refuse_unknown_fields():
    from metering.api.quotas import ConsumeRequest, QuotaRequest
    from metering.ingest.decode import BatchIn, EventIn

    assert all(struct.__struct_config__.forbid_unknown_fields
               for struct in (QuotaRequest, ConsumeRequest, EventIn, BatchIn))
