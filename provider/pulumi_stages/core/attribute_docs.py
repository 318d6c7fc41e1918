"""A model's attribute docstrings (the string under each field), read from its source on demand.

pydantic's `use_attribute_docstrings` reads them while it builds the class: it walks the call
stack and `inspect.getmodule` resolves every loaded module's path, about 25 ms per model, paid
by every provider and program process at import. Only the package schema needs the text, so
it asks here instead.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import textwrap
from collections.abc import Mapping

from pydantic import BaseModel


@functools.cache
def attribute_docs(model: type[BaseModel]) -> Mapping[str, str]:
    """Each field's docstring as pydantic's `use_attribute_docstrings` read it: a subclass's
    over its bases', none for a field redeclared without one; none where the source is
    unavailable (an installed package without `.py` files)."""
    found: dict[str, str | None] = {}
    for klass in reversed(model.__mro__):
        found.update(_own_docs(klass))
    return {
        name: doc for name, doc in found.items() if doc is not None and name in model.model_fields
    }


def _own_docs(klass: type) -> dict[str, str | None]:
    """The docstring under each field a class itself declares (None where it has none)."""
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):
        return {}
    if source[:1].isspace():  # a docstring line at column 0 kept a nested class indented
        source = f"def _nested():\n{source}"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    if not classes or classes[0].name != klass.__name__:
        return {}
    body = classes[0].body
    docs: dict[str, str | None] = {}
    for statement, following in itertools.pairwise([*body, None]):
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        doc = None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            doc = inspect.cleandoc(following.value.value)
        docs[statement.target.id] = doc
    return docs
