"""Tier rules in `GroupDirectory`: exact names, then patterns in order, then a callable,
then the default; and hostile tier files end as `MalformedExport` naming the file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itil_l2 import SupportGroup, Tier, ValidationError
from itil_l2.importers import GroupDirectory, MalformedExport

TIERS = list(Tier)
NAMES = st.text("ab2L- ", min_size=1, max_size=6).filter(lambda s: s.strip() == s)


def test_the_first_rule_that_answers_wins() -> None:
    d = GroupDirectory(
        [SupportGroup("Net 2nd", Tier.L3)],  # an exact name beats every pattern
        patterns=[(" 2nd$", Tier.L2), ("^L2-", Tier.L2), ("Net", Tier.L1)],
        rule=lambda name: Tier.L3 if name.startswith("vendor") else None,
        default_tier=Tier.L2,
    )
    assert d.tier_of("Net 2nd") is Tier.L3
    assert d.tier_of("Desk 2nd") is Tier.L2
    assert d.tier_of("Net north") is Tier.L1  # the third pattern
    assert d.tier_of("Net 2nd ") is Tier.L1  # " 2nd$" no longer matches; "Net" does
    assert d.tier_of("vendor-ora") is Tier.L3  # the callable, after the patterns
    assert d.tier_of("Desk") is Tier.L2  # nothing answered: the default
    assert [d.knows(n) for n in ("Net 2nd", "Desk 2nd", "vendor-ora", "Desk")] == [
        True,
        True,
        True,
        False,
    ]
    assert d.group("Desk 2nd") is d.group("Desk 2nd")  # one group per name
    assert len(d) == 1 and list(d) == [SupportGroup("Net 2nd", Tier.L3)]


def test_a_callable_that_answers_no_tier_is_refused() -> None:
    d = GroupDirectory(rule=lambda name: "L2")  # type: ignore[arg-type,return-value]
    with pytest.raises(ValidationError, match="not a Tier"):
        d.group("x")
    with pytest.raises(ValidationError, match="callable"):
        GroupDirectory(rule="L2")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [("(", "not a regular expression"), ("a" * 1001, "at most 1000"), (3, "regular expression")],
)
def test_bad_patterns_from_code_are_validation_errors(pattern: object, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        GroupDirectory(patterns=[(pattern, Tier.L2)])  # type: ignore[list-item]


def test_a_compiled_pattern_is_taken_as_it_is() -> None:
    d = GroupDirectory(patterns=[(re.compile("2ND$", re.IGNORECASE), Tier.L2)])
    assert d.tier_of("desk 2nd") is Tier.L2


@given(
    names=st.lists(NAMES, max_size=8),
    rules=st.lists(
        st.tuples(st.sampled_from(["a$", "^b", "2", "^L2-", "-"]), st.sampled_from(TIERS)),
        max_size=4,
    ),
    exact=st.dictionaries(NAMES, st.sampled_from(TIERS), max_size=3),
    default=st.sampled_from(TIERS),
)
def test_rules_follow_their_documented_order(
    names: list[str], rules: list[tuple[str, Tier]], exact: dict[str, Tier], default: Tier
) -> None:
    def by_callable(name: str) -> Tier | None:
        return Tier.L3 if name.count("b") >= 2 else None

    d = GroupDirectory(
        [SupportGroup(n, t) for n, t in exact.items()],
        patterns=rules,
        rule=by_callable,
        default_tier=default,
    )
    for name in [*names, *exact]:
        expected = exact.get(name)
        for pattern, tier in rules:
            if expected is None and re.search(pattern, name):
                expected = tier
        if expected is None:
            expected = by_callable(name) or default
        assert d.tier_of(name) is expected, name


# -- tier files ---------------------------------------------------------------------------


def test_a_tier_file_takes_patterns_in_order(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(
        'default_tier = "L1"\n[groups]\n"Special 2nd" = "L3"\n'
        '[[patterns]]\npattern = " 2nd$"\ntier = "L2"\n'
        '[[patterns]]\npattern = "^L3-"\ntier = "l3"\n'
        '[[patterns]]\npattern = "^L"\ntier = "L2"\n'
    )
    d = GroupDirectory.load(path)
    assert [d.tier_of(n) for n in ("Special 2nd", "Desk 2nd", "L3-DB", "Lx", "Desk")] == [
        Tier.L3,
        Tier.L2,
        Tier.L3,
        Tier.L2,
        Tier.L1,
    ]
    js = tmp_path / "tiers.json"
    js.write_text(json.dumps({"patterns": [{"pattern": "^L2-", "tier": "L2"}]}))
    assert GroupDirectory.load(js).tier_of("L2-Net") is Tier.L2


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("deep.json", '{"groups": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("deep.toml", "groups = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep2.toml", "x = " + "{a = " * 5000 + "1" + "}" * 5000, "nested too deeply"),
        (
            "specs.json",
            '{"groups": {"G": {"tier": "L2", "specialisations": [[1]]}}}',
            "list of texts",
        ),
        ("specs.toml", '[groups]\nG = { tier = "L2", specialisations = [1] }\n', "list of texts"),
        ("tier.json", '{"groups": {"G": [[["L2"]]]}}', "is not L1, L2 or L3"),
        ("regex.toml", '[[patterns]]\npattern = "("\ntier = "L2"\n', "not a regular expression"),
        ("long.toml", f'[[patterns]]\npattern = "{"a" * 1001}"\ntier = "L2"\n', "at most 1000"),
        ("shape.toml", '[[patterns]]\npattern = " 2nd$"\n', "'pattern' and 'tier'"),
        ("list.toml", 'patterns = "x"\n', "list of"),
        ("ptier.toml", '[[patterns]]\npattern = "x"\ntier = "L9"\n', "is not L1, L2 or L3"),
        ("key.toml", "[groups]\n[extra]\n", "unknown tier directory key"),
        ("array.json", "[1, 2]", "no table"),
        ("bytes.toml", b"\xff\xfe[groups]", "not UTF-8"),
        ("syntax.toml", "[groups]\nG = \n", "not valid TOML"),
        ("syntax.json", '{"groups": {', "not valid JSON"),
    ],
)
def test_hostile_tier_files_are_malformed_with_the_file(
    tmp_path: Path, name: str, content: str | bytes, needle: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(MalformedExport) as caught:
        GroupDirectory.load(path)
    assert caught.value.path == str(path) and needle in str(caught.value)


def test_a_toml_syntax_error_carries_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text('[groups]\n"A" = "L1"\n"B" = = "L2"\n')
    with pytest.raises(MalformedExport) as caught:
        GroupDirectory.load(path)
    assert caught.value.line == 3
