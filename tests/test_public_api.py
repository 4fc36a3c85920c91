"""The public surface: everything in __all__ imports and presents itself as itil_l2."""

from __future__ import annotations

import subprocess
import sys

import itil_l2


def test_all_names_exist_and_are_sorted_sensibly() -> None:
    for name in itil_l2.__all__:
        assert hasattr(itil_l2, name), name
    assert len(set(itil_l2.__all__)) == len(itil_l2.__all__)


def test_public_classes_show_the_public_module() -> None:
    assert itil_l2.Ticket.__module__ == "itil_l2"
    assert repr(itil_l2.Tier.L2) == "<Tier.L2: 'L2'>"
    assert itil_l2.ItilL2Error.__module__ == "itil_l2"


def test_every_error_is_an_itil_l2_error() -> None:
    exported = [getattr(itil_l2, n) for n in itil_l2.__all__]
    errors = [o for o in exported if isinstance(o, type) and issubclass(o, BaseException)]
    assert len(errors) >= 20
    assert [e for e in errors if not issubclass(e, itil_l2.ItilL2Error)] == []


def test_core_import_needs_no_test_or_sql_packages() -> None:
    code = (
        "import sys, itil_l2; bad = {'hypothesis', 'pytest', 'sqlalchemy', 'sqlite3'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
