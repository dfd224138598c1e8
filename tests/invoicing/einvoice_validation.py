"""The official EN 16931 validation artifacts (CEN/TC 434's schematron, compiled to XSLT, in
../shared/einvoicing/) run with Saxon (saxonche) over an XML; the failed assertions come back from
the SVRL report. Each stylesheet is compiled once per test session: they are large."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
STYLESHEETS = {"cii": "EN16931-CII-validation.xslt", "ubl": "EN16931-UBL-validation.xslt"}


@dataclass(frozen=True)
class FailedAssert:
    id: str
    flag: str
    location: str
    text: str

    def __str__(self):
        return f"{self.id} ({self.flag}) at {self.location}: {self.text}"


def artifacts_dir() -> Path:
    """`../shared/einvoicing/` from the project root (this file is tests/invoicing/ in it)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "einvoicing"


@cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _stylesheet(syntax: str):
    path = artifacts_dir() / STYLESHEETS[syntax]
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def failed_asserts(xml: bytes, syntax: str) -> list[FailedAssert]:
    """Every failed assertion of the EN 16931 rules for `syntax` ("cii" or "ubl") over `xml`."""
    document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = _stylesheet(syntax).transform_to_string(xdm_node=document)
    tree = etree.fromstring(report.encode("utf-8"))
    return [FailedAssert(node.get("id", ""), node.get("flag", ""), node.get("location", ""),
                         " ".join(node.findtext(f"{{{SVRL}}}text", "").split()))
            for node in tree.iter(f"{{{SVRL}}}failed-assert")]


def fatal(xml: bytes, syntax: str) -> list[FailedAssert]:
    return [failed for failed in failed_asserts(xml, syntax) if failed.flag == "fatal"]


def fired_rules(xml: bytes, syntax: str) -> int:
    """How many rule contexts the report says it matched: a report that matched none checked nothing."""
    document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = _stylesheet(syntax).transform_to_string(xdm_node=document)
    return sum(1 for _ in etree.fromstring(report.encode("utf-8")).iter(f"{{{SVRL}}}fired-rule"))
