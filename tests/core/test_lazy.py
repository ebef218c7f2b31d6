"""core/lazy.py: a stand-in imports its module on the first attribute read, and not before.

Each check runs in a fresh interpreter, so "not imported yet" means what it says.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import ModuleType

import pytest
from courier.core import lazy


def _python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_stand_in_imports_nothing_until_an_attribute_is_read() -> None:
    out = _python("""
        import sys
        from courier.core import lazy
        pq = lazy.module("pyarrow.parquet")
        print("pyarrow" in sys.modules, "pyarrow.parquet" in sys.modules)
        pq.ParquetFile  # the first read imports the module (and its parent)
        print("pyarrow" in sys.modules, "pyarrow.parquet" in sys.modules)
        print(pq.ParquetFile is sys.modules["pyarrow.parquet"].ParquetFile)
    """)
    assert out.splitlines() == ["False False", "True True", "True"]


def test_an_imported_module_is_returned_as_it_is() -> None:
    import json

    assert lazy.module("json") is json


def test_a_stand_in_reads_through_to_the_module() -> None:
    stand_in = lazy.Deferred("colorsys")  # a stand-in even if colorsys is imported already
    assert isinstance(stand_in, ModuleType)
    assert "not imported yet" in repr(stand_in)
    import colorsys

    assert stand_in.rgb_to_hsv is colorsys.rgb_to_hsv
    assert stand_in.loaded() is colorsys
    assert "(imported)" in repr(stand_in)


def test_a_missing_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        lazy.Deferred("colorsys").no_such_function  # noqa: B018


def test_a_module_that_does_not_exist_fails_on_first_use_not_before() -> None:
    stand_in = lazy.module("courier_no_such_module_anywhere")
    with pytest.raises(ModuleNotFoundError) as raised:
        stand_in.anything  # noqa: B018
    assert raised.value.name == "courier_no_such_module_anywhere"
