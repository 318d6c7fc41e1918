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
    """Each field's docstring, a subclass's over its bases'; none where the source is
    unavailable (an installed package without `.py` files)."""
    found: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        found.update(_own_docs(klass))
    return {name: doc for name, doc in found.items() if name in model.model_fields}


def _own_docs(klass: type) -> dict[str, str]:
    """The docstrings written under the fields a class itself declares."""
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):
        return {}
    tree = ast.parse(source)
    if not tree.body or not isinstance(tree.body[0], ast.ClassDef):
        return {}
    body = tree.body[0].body
    docs = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs
