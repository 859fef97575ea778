"""Alertmanager-style label matchers."""

from __future__ import annotations

import pytest

from fireline.alerts.matchers import (
    Matcher,
    MatcherError,
    matches_all,
    parse_matcher,
    parse_matchers,
)

LABELS = {"alertname": "DiskFull", "instance": "db-1.prod:9100", "severity": "warning"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('severity="critical"', Matcher("severity", "=", "critical")),
        ("severity=critical", Matcher("severity", "=", "critical")),
        ('  team != "db" ', Matcher("team", "!=", "db")),
        ('instance=~"db-.*"', Matcher("instance", "=~", "db-.*")),
        ('env!~"dev|test"', Matcher("env", "!~", "dev|test")),
        ('team=""', Matcher("team", "=", "")),
        ("team=", Matcher("team", "=", "")),
        ('k8s.namespace="shop"', Matcher("k8s.namespace", "=", "shop")),
        ('msg="say \\"hi\\""', Matcher("msg", "=", 'say "hi"')),
        ('path="C:\\\\temp"', Matcher("path", "=", "C:\\temp")),
        ('text="a\\nb"', Matcher("text", "=", "a\nb")),
        # Any other backslash is kept, so regexes read as typed.
        ('instance=~"db-\\d+\\.prod.*"', Matcher("instance", "=~", "db-\\d+\\.prod.*")),
    ],
)
def test_parse_one(text: str, expected: Matcher) -> None:
    assert parse_matcher(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alertname", "cannot read 'alertname'"),
        ("service is api", "cannot read"),
        ('="x"', "cannot read"),
        ('1abc="x"', "cannot read"),
        ('team=="db"', "the operators are =, !=, =~ and !~"),
        ('team= ~"db"', "the operators are"),
        ('team="db', "not closed"),
        ('team="db\\"', "not closed"),
        ('team="d"b"', 'unescaped "'),
        ('team=d"b', "must be quoted"),
        ('team=~"(db"', "invalid regular expression"),
        ('team!~"*"', "invalid regular expression"),
    ],
)
def test_parse_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(MatcherError) as caught:
        parse_matcher(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        'alertname="DiskFull", instance=~"db-.*"',
        '{alertname="DiskFull",instance=~"db-.*"}',
        ' { alertname = "DiskFull" , instance =~ "db-.*" , } ',
    ],
)
def test_parse_a_list_with_or_without_braces(text: str) -> None:
    assert parse_matchers(text) == [
        Matcher("alertname", "=", "DiskFull"),
        Matcher("instance", "=~", "db-.*"),
    ]


def test_commas_inside_quotes_do_not_split() -> None:
    assert parse_matchers('a=~"x,y", b="say \\"1,2\\""') == [
        Matcher("a", "=~", "x,y"),
        Matcher("b", "=", 'say "1,2"'),
    ]


def test_empty_lists_and_unclosed_quotes() -> None:
    assert parse_matchers("") == [] == parse_matchers("{}")
    with pytest.raises(MatcherError, match="not closed"):
        parse_matchers('a="1, b="2')


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        ('alertname="DiskFull"', True),
        ('alertname="diskfull"', False),
        ('alertname!="DiskFull"', False),
        ('severity!="critical"', True),
        # Regexes are anchored at both ends, as in Alertmanager.
        ('instance=~"db-1"', False),
        ('instance=~"db-1.*"', True),
        ('instance=~".*prod.*"', True),
        ('alertname=~"Disk|CPU"', False),
        ('alertname=~"DiskFull|CPU"', True),
        ('alertname!~"Disk.*"', False),
        ('alertname!~"CPU.*"', True),
        # A missing label is the empty string.
        ('team=""', True),
        ('team!=""', False),
        ('team=~".*"', True),
        ('team=~".+"', False),
        ('team!~".+"', True),
        ('severity=""', False),
    ],
)
def test_matching(matcher: str, expected: bool) -> None:
    assert parse_matcher(matcher).matches(LABELS) is expected


def test_regexes_do_not_match_across_lines() -> None:
    assert not parse_matcher('msg=~"a.*"').matches({"msg": "a\nb"})
    assert parse_matcher('msg=~"a\\nb"').matches({"msg": "a\nb"})


def test_matches_all() -> None:
    both = parse_matchers('alertname="DiskFull", severity=~"warn.*"')
    assert matches_all(both, LABELS)
    assert not matches_all([*both, Matcher("team", "=", "db")], LABELS)
    assert matches_all([], LABELS)


def test_the_constructor_validates_too() -> None:
    with pytest.raises(MatcherError, match="invalid regular expression"):
        Matcher("a", "=~", "[")
    with pytest.raises(MatcherError, match="unknown operator"):
        Matcher("a", "==", "x")
    with pytest.raises(MatcherError, match="not a label name"):
        Matcher("", "=", "x")
    assert Matcher.make("a", "=~", "x.*").matches({"a": "xyz"})


def test_regexes_are_compiled_once() -> None:
    first, second = Matcher("a", "=~", "shared-pattern"), Matcher("b", "!~", "shared-pattern")
    assert first._regex is second._regex


def test_dict_round_trip() -> None:
    matcher = Matcher("instance", "!~", "db-.*")
    assert matcher.to_dict() == {"name": "instance", "op": "!~", "value": "db-.*"}
    assert Matcher.from_dict(matcher.to_dict()) == matcher
    with pytest.raises(MatcherError):
        Matcher.from_dict({"name": "a", "op": "="})
    with pytest.raises(MatcherError):
        Matcher.from_dict({"name": "a", "op": "=~", "value": "("})


@pytest.mark.parametrize(
    ("matcher", "text"),
    [
        (Matcher("severity", "=", "critical"), 'severity="critical"'),
        (Matcher("a", "!~", "x|y"), 'a!~"x|y"'),
        (Matcher("a", "=", 'say "hi"'), 'a="say \\"hi\\""'),
        (Matcher("a", "=~", "db\\.prod"), 'a=~"db\\.prod"'),
        (Matcher("a", "=", "C:\\"), 'a="C:\\\\"'),
        (Matcher("a", "=", "a\nb"), 'a="a\\nb"'),
    ],
)
def test_str_renders_matcher_syntax(matcher: Matcher, text: str) -> None:
    assert str(matcher) == text


@pytest.mark.parametrize(
    "value",
    ["", "plain", 'q"uote', "back\\slash", "\\", "\\\\", '\\"', "\\n", "a\nb", "x, y", "{}"],
)
def test_str_parses_back_to_the_same_matcher(value: str) -> None:
    matcher = Matcher("label", "=", value)
    assert parse_matcher(str(matcher)) == matcher
    assert parse_matchers(f'{{{matcher}, other="1"}}')[0] == matcher


def test_matchers_are_hashable_values() -> None:
    assert len({Matcher("a", "=~", "x"), parse_matcher('a=~"x"')}) == 1
