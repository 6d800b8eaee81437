"""JSON or XML, as GeoReport v2 writes them: a list in JSON; in XML a root element holding one
element per item, nested dicts and lists as elements, booleans as true / false."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from flask import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# list key → the element of one item
ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _NOT_XML.sub("", str(value))  # characters XML 1.0 cannot carry


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = ET.SubElement(parent, key)
                for item in inner:
                    _fill(ET.SubElement(holder, ITEMS.get(key, "item")), item)
            else:
                _fill(ET.SubElement(parent, key), inner)
    else:
        parent.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    top = ET.Element(root)
    if item is None:
        _fill(top, data)
    else:
        for entry in data:
            _fill(ET.SubElement(top, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")


def answer(fmt: str, data: Any, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        body = to_xml(root, item, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))


def errors(fmt: str, code: int, description: str) -> Response:
    return answer(fmt, [{"code": code, "description": description}], "errors", "error", status=code)
