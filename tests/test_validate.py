"""One invalid fixture per validation rule, each with the exact message it must produce.

Every test copies tests/fixtures/small into tmp_path (the `data` fixture), changes one
thing with `edit`, and compares the complete list of formatted problems.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scorecard.errors import Problem, ScorecardError, Severity, summarise
from scorecard.validate import (
    _all_usable,
    _unusable_values,
    date_problem,
    files_checked,
    load_dataset,
    url_problem,
)
from scorecard.yamlsafe import load_bytes

from .conftest import REPO, TODAY, edit, problems

FRA = "indicators/countries/FRA.yaml"
DEU = "indicators/countries/DEU.yaml"
ITA = "indicators/countries/ITA.yaml"
SOURCES = "indicators/sources.yaml"
FRAMEWORK = "indicators/framework.yaml"
URL_TIP = "    tip: write the full address, e.g. https://…"


def test_the_small_fixture_is_valid(data):
    dataset, warnings = load_dataset(data, today=TODAY)
    assert warnings == []
    assert [c.iso3 for c in dataset.countries] == ["DEU", "FRA", "ITA"]
    assert dataset.country("FRA").path == FRA
    assert dataset.country("DEU").indicators["open_data"][0].source.id == ""  # cited inline
    assert dataset.country("ITA").missing == {
        "developers": "No count of developers was published for Italy."
    }


# -- reading YAML -----------------------------------------------------------------------------


def test_yaml_syntax_error_keeps_pyyaml_s_position(data):
    edit(data / "countries/FRA.yaml", "name: France", "name: [France")
    text = (data / "countries/FRA.yaml").read_text()
    with pytest.raises(yaml.MarkedYAMLError) as pyyaml:
        yaml.safe_load(text)
    mark = pyyaml.value.problem_mark
    assert (mark.line + 1, mark.column + 1) == (5, 7)
    assert problems(data) == [
        f"{FRA}:5:7: error: invalid YAML: while parsing a flow sequence did not find expected "
        "',' or ']'"
    ]


def test_duplicate_key_names_both_lines(data):
    edit(data / "countries/FRA.yaml", "region: Europe\n", "region: Europe\nname: Francia\n")
    assert problems(data) == [
        f"{FRA}:6:1: error: name: duplicate key 'name' (first defined on line 4)\n"
        "    tip: YAML keeps only one of them; delete or rename one"
    ]


def test_tab_indentation(data):
    edit(data / "countries/FRA.yaml", "  gdp:\n", "\tgdp:\n")
    assert problems(data) == [
        f"{FRA}:13:1: error: invalid YAML: while scanning a plain scalar found a tab character "
        "that violates indentation\n"
        "    tip: YAML does not allow tabs for indentation; use spaces"
    ]


def test_bytes_that_are_not_utf8(data):
    path = data / "countries/FRA.yaml"
    path.write_bytes(path.read_bytes().replace(b"name: France", b"name: Fran\xe7e"))
    assert problems(data) == [
        f"{FRA}:4:11: error: byte 0xe7 is not valid UTF-8\n    tip: save the file as UTF-8"
    ]


def test_anchor_in_a_country_file(data):
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: &ninety 90\n")
    assert problems(data) == [
        f"{FRA}:35:14: error: indicators.internet_users[0].value: anchors (&name) are not "
        "allowed in data files\n"
        "    tip: write the value out in full instead of referring to an anchor"
    ]


def test_python_object_tag_in_a_country_file(data):
    edit(
        data / "countries/FRA.yaml", "value: 90\n", "value: !!python/object/apply:os.system [id]\n"
    )
    assert problems(data) == [
        f"{FRA}:35:14: error: indicators.internet_users[0].value: tag "
        "!!python/object/apply:os.system is not allowed"
    ]


def test_empty_country_file(data):
    (data / "countries/FRA.yaml").write_text("# yaml-language-server: $schema=x\n# nothing yet\n")
    assert problems(data) == [f"{FRA}: error: file is empty (or holds only comments)"]


def test_a_file_that_is_a_list(data):
    (data / "countries/FRA.yaml").write_text("- iso3: FRA\n")
    assert problems(data) == [f"{FRA}:1:1: error: expected a mapping of fields, got a list"]


def test_missing_framework_file(data):
    (data / "framework.yaml").unlink()
    assert problems(data) == [f"{FRAMEWORK}: error: cannot read file: No such file or directory"]


# -- structure (JSON Schema) ------------------------------------------------------------------


def test_unknown_field_suggests_the_known_one(data):
    edit(data / "countries/FRA.yaml", "subregion:", "subregoin:")
    assert problems(data) == [
        f"{FRA}:6:1: error: subregoin: unknown field 'subregoin' (expected one of: context, "
        "indicators, iso3, missing, name, narrative, other_indices, region, subregion)\n"
        "    tip: did you mean 'subregion'?"
    ]


def test_missing_required_field(data):
    edit(data / "countries/FRA.yaml", "region: Europe\n", "")
    assert problems(data) == [f"{FRA}:3:1: error: missing required field 'region'"]


def test_two_missing_fields_are_each_reported_once(data):
    edit(data / "countries/FRA.yaml", "name: France\nregion: Europe\n", "")
    assert problems(data) == [
        f"{FRA}:3:1: error: missing required field 'name'",
        f"{FRA}:3:1: error: missing required field 'region'",
    ]


def test_missing_context_figure(data):
    edit(
        data / "countries/FRA.yaml",
        "  gdp:\n    - value: 3000\n      year: 2024\n      source: imf-weo\n",
        "",
    )
    assert problems(data) == [f"{FRA}:9:3: error: context: missing required field 'gdp'"]


@pytest.mark.parametrize(
    ("written", "tip"),
    [
        ("'90'", "write the number without quotes, thousands separators or %"),
        ('"1,234"', "write the number without quotes, thousands separators or %"),
        ("90%", "write the number without quotes, thousands separators or %"),
        ("ninety", "write the number without quotes"),
    ],
)
def test_number_written_as_text(data, written, tip):
    edit(data / "countries/FRA.yaml", "value: 90\n", f"value: {written}\n")
    shown = yaml.safe_load(f"x: {written}")["x"]
    assert problems(data) == [
        f"{FRA}:35:14: error: indicators.internet_users[0].value: expected a number, got text "
        f"{shown!r}\n    tip: {tip}"
    ]


def test_year_in_quotes(data):
    edit(
        data / "countries/FRA.yaml", "value: 90\n      year: 2024", "value: 90\n      year: '2024'"
    )
    assert problems(data) == [
        f"{FRA}:36:13: error: indicators.internet_users[0].year: expected a whole number, got "
        "text '2024'\n    tip: write the number without quotes, thousands separators or %"
    ]


def test_text_written_as_a_boolean(data):
    edit(data / "countries/FRA.yaml", "region: Europe", "region: true")
    assert problems(data) == [
        f"{FRA}:5:9: error: region: expected text, got true (true/false)\n"
        "    tip: quote the text: YAML reads true/false as booleans"
    ]


def test_year_before_1900(data):
    edit(data / "countries/FRA.yaml", "value: 90\n      year: 2024", "value: 90\n      year: 1850")
    assert problems(data) == [
        f"{FRA}:36:13: error: indicators.internet_users[0].year: the number 1850 must be at "
        "least 1900"
    ]


def test_an_indicator_id_that_is_not_an_id(data):
    edit(data / "countries/FRA.yaml", "  open_data:", "  Open_data:")
    assert problems(data) == [
        f"{FRA}:43:3: error: indicators.Open_data: 'Open_data' is not a valid id (lower-case "
        "letters, digits and '_')",
        f"{FRA}:43:3: error: indicators.Open_data: unknown indicator 'Open_data'\n"
        "    tip: did you mean 'open_data'?",
    ]


def test_a_source_id_that_is_not_an_id(data):
    edit(data / "sources.yaml", "imf-weo:", "IMF_weo:")
    edit(data / "countries/FRA.yaml", "source: imf-weo", "source: imf-weo-2024")
    assert problems(data) == [
        f"{SOURCES}:38:1: error: IMF_weo: 'IMF_weo' is not a valid id (lower-case letters, "
        "digits and '-')",
    ]


def test_source_reference_in_capitals_is_explained_as_an_id(data):
    edit(data / "countries/FRA.yaml", "source: odin-2024", "source: Odin-2024")
    assert problems(data) == [
        f"{FRA}:46:15: error: indicators.open_data[0].source: text 'Odin-2024' is not in the "
        "expected form (pattern ^[a-z0-9][a-z0-9-]*$)",
        f"{FRA}:46:15: error: indicators.open_data[0].source: unknown source 'Odin-2024' (not "
        "in sources.yaml)\n    tip: did you mean 'odin-2024'?",
    ]


def test_inline_citation_with_a_date_in_another_form(data):
    # The schema and the date check both see it; neither may crash on text that is no date.
    edit(data / "countries/DEU.yaml", "accessed: 2024-12-01", "accessed: June 2024")
    assert problems(data) == [
        f"{DEU}:50:19: error: indicators.open_data[0].source.accessed: 'June 2024' is not a "
        "date (expected YYYY, YYYY-MM or YYYY-MM-DD)",
        f"{DEU}:50:19: error: indicators.open_data[0].source.accessed: text 'June 2024' is not "
        "in the expected form (e.g. 2026-01-26)",
    ]


def test_inline_citation_without_a_producer(data):
    edit(data / "countries/DEU.yaml", "        producer: Open Data Watch\n", "")
    assert problems(data) == [
        f"{DEU}:47:9: error: indicators.open_data[0].source: missing required field 'producer'"
    ]


# -- meaning --------------------------------------------------------------------------------


def test_unknown_indicator_id(data):
    edit(data / "countries/FRA.yaml", "  open_data:", "  open_dta:")
    assert problems(data) == [
        f"{FRA}:43:3: error: indicators.open_dta: unknown indicator 'open_dta'\n"
        "    tip: did you mean 'open_data'?"
    ]


def test_rubric_level_outside_the_rubric(data):
    edit(data / "countries/FRA.yaml", "level: legislation", "level: legislated")
    assert problems(data) == [
        f"{FRA}:39:14: error: indicators.privacy_law[0].level: 'legislated' is not a level of "
        "the rubric (expected one of: legislation, draft, none)\n"
        "    tip: did you mean 'legislation'?"
    ]


def test_rubric_level_none_is_text_and_valid(data):
    edit(data / "countries/ITA.yaml", "level: draft", "level: none")
    dataset, _ = load_dataset(data, today=TODAY)
    assert dataset.country("ITA").indicators["privacy_law"][0].level == "none"


def test_value_outside_the_plausible_range(data):
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: 140\n")
    assert problems(data) == [
        f"{FRA}:35:14: error: indicators.internet_users[0].value: 140 is outside the plausible "
        "range 0 to 100 (% of population)\n    tip: check the unit and the decimal point"
    ]


def test_context_value_outside_the_plausible_range(data):
    edit(data / "countries/FRA.yaml", "value: 50000000", "value: 5000")
    assert problems(data) == [
        f"{FRA}:10:14: error: context.population[0].value: 5,000 is outside the plausible "
        "range 10,000 to 2,000,000,000 (persons)\n    tip: check the unit and the decimal point"
    ]


def test_year_in_the_future(data):
    edit(data / "countries/FRA.yaml", "value: 90\n      year: 2024", "value: 90\n      year: 2026")
    assert problems(data, today=date(2025, 12, 31)) == [
        f"{FRA}:36:13: error: indicators.internet_users[0].year: year 2026 is in the future"
    ]
    assert problems(data, today=date(2026, 1, 1)) == []


def test_publication_date_in_the_future(data):
    edit(data / "sources.yaml", "published: 2024-06", "published: 2025-07")
    assert problems(data, today=date(2025, 6, 30)) == [
        f"{SOURCES}:9:14: error: top500-2024.published: '2025-07' is in the future"
    ]
    assert problems(data, today=date(2025, 7, 1)) == []


def test_a_date_that_does_not_exist(data):
    edit(data / "sources.yaml", "published: 2024-06", "published: 2024-13")
    assert problems(data) == [
        f"{SOURCES}:9:14: error: top500-2024.published: '2024-13' is not a real date"
    ]


def test_a_date_in_another_form(data):
    edit(data / "sources.yaml", "published: 2024-06", "published: June 2024")
    assert problems(data) == [
        f"{SOURCES}:9:14: error: top500-2024.published: text 'June 2024' is not in the expected "
        "form (e.g. 2025-06)"
    ]


def test_filename_not_matching_the_code(data):
    edit(data / "countries/FRA.yaml", "iso3: FRA", "iso3: DEU")
    assert problems(data) == [
        f"{FRA}:3:7: error: iso3: 'DEU' does not match the file name 'FRA.yaml'\n"
        "    tip: name the file DEU.yaml, or correct the code"
    ]


@pytest.mark.parametrize("code", ["XKX", "JPX"])
def test_unknown_iso_code(data, code):
    path = data / "countries/FRA.yaml"
    edit(path, "iso3: FRA", f"iso3: {code}")
    path.rename(data / f"countries/{code}.yaml")
    assert problems(data) == [
        f"indicators/countries/{code}.yaml:3:7: error: iso3: '{code}' is not an ISO 3166-1 "
        "alpha-3 country code\n"
        "    tip: see https://www.iso.org/obp/ui/#search for the list of codes"
    ]


def test_code_in_lower_case(data):
    path = data / "countries/FRA.yaml"
    edit(path, "iso3: FRA", "iso3: fra")
    path.rename(data / "countries/fra.yaml")
    assert problems(data) == [
        "indicators/countries/fra.yaml:3:7: error: iso3: text 'fra' is not in the expected form "
        "(e.g. KOR)"
    ]


def test_unknown_region(data):
    edit(data / "countries/FRA.yaml", "region: Europe", "region: Eurpe")
    assert problems(data) == [
        f"{FRA}:5:9: error: region: unknown region 'Eurpe' (expected one of: Europe, Asia)\n"
        "    tip: did you mean 'Europe'?"
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "javascript:alert(1)",
            "'javascript:alert(1)': only http and https addresses are allowed, not 'javascript:'",
        ),
        (
            "ftp://odin.opendatawatch.com/",
            "'ftp://odin.opendatawatch.com/': only http and https "
            "addresses are allowed, not 'ftp:'",
        ),
        (
            "odin.opendatawatch.com",
            "'odin.opendatawatch.com' is not a web address (expected https://…)",
        ),
        ("https://localhost/", "'https://localhost/' has no valid host name"),
        (
            "'https://odin.open datawatch.com/'",
            "'https://odin.open datawatch.com/' contains spaces or control characters",
        ),
    ],
)
def test_source_url_that_is_not_http(data, url, message):
    edit(data / "sources.yaml", "url: https://odin.opendatawatch.com/\n", f"url: {url}\n")
    assert problems(data) == [f"{SOURCES}:32:8: error: odin-2024.url: {message}\n{URL_TIP}"]


def test_inline_citation_url_is_checked_too(data):
    edit(
        data / "countries/DEU.yaml",
        "url: https://odin.opendatawatch.com/Data/CountryProfile",
        "url: javascript:alert(1)",
    )
    assert problems(data) == [
        f"{DEU}:49:14: error: indicators.open_data[0].source.url: 'javascript:alert(1)': only "
        f"http and https addresses are allowed, not 'javascript:'\n{URL_TIP}"
    ]


def test_unknown_source_id(data):
    edit(data / "countries/FRA.yaml", "source: odin-2024", "source: odin-2023")
    assert problems(data) == [
        f"{FRA}:46:15: error: indicators.open_data[0].source: unknown source 'odin-2023' (not "
        "in sources.yaml)\n    tip: did you mean 'odin-2024'?"
    ]


def test_unknown_source_id_without_a_close_match(data):
    edit(data / "countries/FRA.yaml", "source: odin-2024", "source: somewhere")
    assert problems(data) == [
        f"{FRA}:46:15: error: indicators.open_data[0].source: unknown source 'somewhere' (not "
        "in sources.yaml)\n    tip: add it to indicators/sources.yaml or cite it in full here"
    ]


@pytest.mark.parametrize("name", ["France", "FRANCE"])
def test_a_country_that_duplicates_another(data, name):
    edit(data / "countries/ITA.yaml", "name: Italy", f"name: {name}")
    assert problems(data) == [
        f"{ITA}:1:1: error: name: country name '{name}' is also used by {FRA}\n"
        "    tip: each country has exactly one file"
    ]


@pytest.mark.parametrize("text", ["NO", "no", "Yes", "off", "2024-04-03", "12:30"])
def test_yaml_1_1_booleans_and_dates_stay_text(data, text):
    edit(data / "countries/FRA.yaml", "name: France", f"name: {text}")
    edit(data / "countries/FRA.yaml", "subregion: Western Europe", f"subregion: {text}")
    dataset, warnings = load_dataset(data, today=TODAY)
    assert warnings == []
    assert (dataset.country("FRA").name, dataset.country("FRA").subregion) == (text, text)


def test_zero_padded_numbers_are_decimal(data):
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: 010\n")
    dataset, _ = load_dataset(data, today=TODAY)
    assert dataset.country("FRA").indicators["internet_users"][0].value == 10


@pytest.mark.parametrize(
    ("written", "shown"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")]
)
def test_values_that_are_not_finite(data, written, shown):
    edit(data / "countries/FRA.yaml", "value: 90\n", f"value: {written}\n")
    assert problems(data) == [
        f"{FRA}:35:14: error: indicators.internet_users[0].value: {shown} is not a finite "
        "number\n    tip: leave the indicator out when the value is unknown"
    ]


FORMULA_TIP = "\n    tip: start it with a letter or a digit (e.g. put the words first)"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("'=1+2'", "'='"),
        ("'+1'", "'+'"),
        ("'-1'", "'-'"),
        ("'@SUM(A1)'", "'@'"),
        ('"\\tx"', "'\\t'"),
    ],
)
def test_text_a_spreadsheet_would_run_as_a_formula(data, written, shown):
    edit(data / "countries/FRA.yaml", "name: France\n", f"name: {written}\n")
    edit(data / "sources.yaml", "title: Cloud use survey 2024\n", f"title: {written}\n")
    message = f"text starting with {shown} would run as a formula when the CSV downloads are "
    message += "opened in a spreadsheet"
    assert problems(data) == [
        f"{FRA}:4:7: error: name: {message}{FORMULA_TIP}",
        f"indicators/sources.yaml:12:10: error: cloud-survey-2024.title: {message}{FORMULA_TIP}",
    ]


def test_formula_characters_inside_text_are_fine(data):
    edit(data / "countries/FRA.yaml", "name: France\n", "name: France (= 1 + 1 - @)\n")
    assert problems(data) == []


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**16), 10**16)
    | st.sampled_from([10**15, -(10**15), 10**15 + 1, 1e15, 1.0000001e15])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet="=+-@\t\rab 1", max_size=4),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet="=ab", max_size=2), children, max_size=4)
    ),
    max_leaves=12,
)


@given(_VALUES)
def test_the_quick_test_of_values_agrees_with_the_one_that_words_problems(data):
    assert _all_usable(data) == (_unusable_values(data) == [])


def test_assessed_indicator_given_a_value(data):
    edit(
        data / "countries/FRA.yaml",
        "level: legislation\n",
        "level: legislation\n      value: 100\n",
    )
    assert problems(data) == [
        f"{FRA}:40:7: error: indicators.privacy_law[0].value: 'privacy_law' is assessed: give a "
        "rubric level, not a value"
    ]


def test_assessed_indicator_without_level_or_justification(data):
    edit(
        data / "countries/FRA.yaml",
        "    - level: legislation\n      justification: A data protection law is in force.\n",
        "    - value: 100\n",
    )
    assert problems(data) == [
        f"{FRA}:39:7: error: indicators.privacy_law[0]: missing required field 'justification' "
        "(why this level)",
        f"{FRA}:39:7: error: indicators.privacy_law[0]: missing required field 'level' (one of: "
        "legislation, draft, none)",
        f"{FRA}:39:7: error: indicators.privacy_law[0].value: 'privacy_law' is assessed: give a "
        "rubric level, not a value",
    ]


def test_measured_indicator_given_a_level(data):
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: 90\n      level: high\n")
    assert problems(data) == [
        f"{FRA}:36:7: error: indicators.internet_users[0].level: 'level' only applies to "
        "assessed indicators; 'internet_users' is measured\n    tip: give its number as value"
    ]


def test_measured_indicator_without_a_value(data):
    edit(data / "countries/FRA.yaml", "    - value: 90\n      year: 2024", "    - year: 2024")
    assert problems(data) == [
        f"{FRA}:35:7: error: indicators.internet_users[0]: missing required field 'value' (% of "
        "population)\n    tip: leave the indicator out entirely when no value is known"
    ]


def test_two_observations_for_the_same_year(data):
    edit(
        data / "countries/FRA.yaml",
        "    - value: 500\n      year: 2023",
        "    - value: 500\n      year: 2024",
    )
    assert problems(data) == [
        f"{FRA}:24:13: error: indicators.supercomputers[1].year: a second observation for 2024 "
        "(the first is on line 20)\n    tip: keep one observation per year"
    ]


def test_missing_entry_for_an_indicator_with_observations(data):
    with (data / "countries/FRA.yaml").open("a") as file:
        file.write("\nmissing:\n  open_data: not published\n")
    assert problems(data) == [
        f"{FRA}:49:3: error: missing.open_data: 'open_data' is listed as missing but has "
        "observations on line 44"
    ]


def test_missing_entry_for_an_unknown_indicator(data):
    edit(data / "countries/ITA.yaml", "  developers: No", "  developrs: No")
    assert problems(data) == [
        f"{ITA}:41:3: error: missing.developrs: unknown indicator 'developrs'\n"
        "    tip: did you mean 'developers'?"
    ]


STRAY_TIP = "    tip: rename it, or start its name with _ if it is not data"


@pytest.mark.parametrize("name", ["notes.txt", "FRA.yml", "README.md"])
def test_stray_file_in_countries(data, name):
    (data / "countries" / name).write_text("iso3: FRA\n")
    assert problems(data) == [
        f"indicators/countries/{name}: error: not a country file: country files are named "
        f"ISO3.yaml (e.g. KOR.yaml)\n{STRAY_TIP}"
    ]


def test_stray_folder_in_countries(data):
    (data / "countries/drafts").mkdir()
    assert problems(data) == [
        "indicators/countries/drafts: error: not a country file: country files are named "
        f"ISO3.yaml (e.g. KOR.yaml)\n{STRAY_TIP}"
    ]


@pytest.mark.parametrize("name", ["_template.yaml", ".FRA.yaml.swp", "_notes.txt"])
def test_files_starting_with_underscore_or_dot_are_skipped(data, name):
    (data / "countries" / name).write_text("this: [is not valid\n")
    assert problems(data) == []


# -- framework and sources ------------------------------------------------------------------


def test_duplicate_indicator_id(data):
    edit(data / "framework.yaml", "id: open_data", "id: developers")
    assert problems(data) == [
        f"{FRAMEWORK}:128:13: error: pillars[2].indicators[1].id: indicator id 'developers' is "
        "already used on line 79\n    tip: ids must be unique across pillars"
    ]


def test_duplicate_pillar_id(data):
    edit(data / "framework.yaml", "  - id: governance", "  - id: talent")
    assert problems(data) == [
        f"{FRAMEWORK}:104:9: error: pillars[2].id: pillar id 'talent' is already used on line 74\n"
        "    tip: ids must be unique across pillars"
    ]


@pytest.mark.parametrize(
    ("goalposts", "low", "high"), [("{low: 50, high: 50}", 50, 50), ("{low: 60, high: 50}", 60, 50)]
)
def test_low_goalpost_not_below_high(data, goalposts, low, high):
    edit(data / "framework.yaml", "goalposts: {low: 0, high: 50}", f"goalposts: {goalposts}")
    assert problems(data) == [
        f"{FRAMEWORK}:69:20: error: pillars[0].indicators[1].goalposts: low goalpost ({low}) "
        f"must be below the high one ({high})\n"
        "    tip: use direction: lower_is_better to reverse the scale"
    ]


@pytest.mark.parametrize("low", ["0", "-1"])
def test_log_scale_with_low_goalpost_not_above_zero(data, low):
    edit(
        data / "framework.yaml",
        "goalposts: {low: 1, high: 1000}",
        f"goalposts: {{low: {low}, high: 1000}}",
    )
    assert problems(data) == [
        f"{FRAMEWORK}:57:26: error: pillars[0].indicators[0].goalposts.low: a log scale needs a "
        f"low goalpost above 0, got {low}\n"
        "    tip: values at or below the low goalpost score 0, zeros included"
    ]


def test_unknown_default_source(data):
    edit(data / "framework.yaml", "default_source: odin-2024", "default_source: odin-2025")
    assert problems(data) == [
        f"{FRAMEWORK}:139:25: error: pillars[2].indicators[1].default_source: unknown source "
        "'odin-2025'\n    tip: did you mean 'odin-2024'?"
    ]


def test_rubric_level_listed_twice(data):
    edit(data / "framework.yaml", "          - level: none\n", "          - level: draft\n")
    assert problems(data) == [
        f"{FRAMEWORK}:123:20: error: pillars[2].indicators[0].rubric[2].level: rubric level "
        "'draft' is listed twice"
    ]


@pytest.mark.parametrize(
    ("transform", "column", "message"),
    [
        ("[per_capita, per_gdp]", 20, "transform: use per_capita or per_gdp, not both"),
        (
            "[per_capita, lg]",
            33,
            "transform[1]: text 'lg' is not one of: none, log, per_capita, "
            "per_gdp\n    tip: did you mean 'log'?",
        ),
    ],
)
def test_transform_steps(data, transform, column, message):
    edit(data / "framework.yaml", "transform: per_capita", f"transform: {transform}")
    assert problems(data) == [f"{FRAMEWORK}:86:{column}: error: pillars[1].indicators[0].{message}"]


def test_none_cannot_be_combined(data):
    edit(data / "framework.yaml", "transform: log", "transform: [none, log]")
    assert problems(data) == [
        f"{FRAMEWORK}:56:20: error: pillars[0].indicators[0].transform: 'none' cannot be "
        "combined with other steps"
    ]


def test_log_must_be_the_last_step(data):
    edit(data / "framework.yaml", "transform: log", "transform: [log, per_capita]")
    assert problems(data) == [
        f"{FRAMEWORK}:56:20: error: pillars[0].indicators[0].transform: log must be the last step"
    ]


def test_goalposts_on_an_assessed_indicator(data):
    law = "        weight: 1\n        default_source: unctad-2024"
    goalposts = "\n        goalposts: {low: 0, high: 1}\n"
    edit(data / "framework.yaml", law, law.replace("\n", goalposts))
    assert problems(data) == [
        f"{FRAMEWORK}:127:9: error: pillars[2].indicators[0].goalposts: 'goalposts' does not "
        "apply to an assessed indicator (its rubric gives the scores)"
    ]


def test_context_range_upside_down(data):
    edit(
        data / "framework.yaml",
        "valid_range: {min: 0.1, max: 100000}",
        "valid_range: {min: 100000, max: 0.1}",
    )
    assert problems(data) == [
        f"{FRAMEWORK}:23:18: error: context.gdp.valid_range: min (100000) is above max (0.1)"
    ]


def test_threshold_above_one(data):
    edit(data / "framework.yaml", "coverage_threshold: 0.5", "coverage_threshold: 1.5")
    assert problems(data) == [
        f"{FRAMEWORK}:11:21: error: coverage_threshold: the number 1.5 must be at most 1"
    ]


def test_unused_source_is_a_warning(data):
    with (data / "sources.yaml").open("a") as file:
        file.write("spare:\n  producer: X\n  title: Y\n  url: https://example.org/y\n")
    assert problems(data) == [
        f"{SOURCES}:42:1: warning: spare: source 'spare' is not cited by any value\n"
        "    tip: remove it, or cite it from a country file"
    ]
    dataset, _ = load_dataset(data, today=TODAY)  # a warning does not stop the build
    assert "spare" in dataset.sources


def test_source_cited_only_as_a_default_counts_as_used(data):
    edit(data / "countries/FRA.yaml", "source: odin-2024", "source: itu-2024")
    edit(data / "countries/ITA.yaml", "source: odin-2024", "source: itu-2024")
    assert problems(data) == []  # odin-2024 is still open_data's default_source


# -- everything at once -----------------------------------------------------------------------


def break_several_files(data):
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: 140\n")
    edit(data / "countries/FRA.yaml", "region: Europe", "region: Eurpe")
    edit(data / "countries/ITA.yaml", "level: draft", "level: drafted")
    edit(data / "sources.yaml", "url: https://population.un.org/wpp/", "url: population.un.org")
    (data / "countries/notes.md").write_text("x")


EVERY_PROBLEM = [
    f"{FRA}:5:9: error: region: unknown region 'Eurpe' (expected one of: Europe, Asia)\n"
    "    tip: did you mean 'Europe'?",
    f"{FRA}:35:14: error: indicators.internet_users[0].value: 140 is outside the plausible "
    "range 0 to 100 (% of population)\n    tip: check the unit and the decimal point",
    f"{ITA}:31:14: error: indicators.privacy_law[0].level: 'drafted' is not a level of the "
    "rubric (expected one of: legislation, draft, none)\n    tip: did you mean 'draft'?",
    "indicators/countries/notes.md: error: not a country file: country files are named "
    f"ISO3.yaml (e.g. KOR.yaml)\n{STRAY_TIP}",
    f"{SOURCES}:37:8: error: un-population.url: 'population.un.org' is not a web address "
    f"(expected https://…)\n{URL_TIP}",
]


def test_every_problem_in_every_file_is_reported_sorted(data):
    break_several_files(data)
    with pytest.raises(ScorecardError) as caught:
        load_dataset(data, today=TODAY)
    assert [p.format() for p in caught.value.problems] == EVERY_PROBLEM
    assert str(caught.value) == "5 problem(s) in the data"
    assert summarise(caught.value.problems, files_checked(data)) == (
        "5 errors and 0 warnings in 4 files (6 checked)"
    )


def test_a_framework_error_does_not_hide_country_file_errors(data):
    edit(data / "framework.yaml", "coverage_threshold: 0.5", "coverage_threshold: 0")
    edit(data / "countries/FRA.yaml", "value: 90\n", "value: '90'\n")
    assert problems(data) == [
        f"{FRA}:35:14: error: indicators.internet_users[0].value: expected a number, got text "
        "'90'\n    tip: write the number without quotes, thousands separators or %",
        f"{FRAMEWORK}:11:21: error: coverage_threshold: the number 0 must be above 0",
    ]


# -- the pieces -------------------------------------------------------------------------------


def test_problem_format():
    where = Problem("a.yaml", 3, 7, Severity.ERROR, "iso3", "bad", "fix it")
    assert where.format() == "a.yaml:3:7: error: iso3: bad\n    tip: fix it"
    assert Problem("a.yaml", 0, 0, Severity.WARNING, "", "odd").format() == ("a.yaml: warning: odd")


def test_summary_line():
    error = Problem("a.yaml", 1, 1, Severity.ERROR, "", "x")
    warning = Problem("b.yaml", 1, 1, Severity.WARNING, "", "y")
    assert summarise([], 1) == "no problems in 1 file"
    assert summarise([], 44) == "no problems in 44 files"
    assert summarise([error], 3) == "1 error and 0 warnings in 1 file (3 checked)"
    assert summarise([error, error, warning], 3) == "2 errors and 1 warning in 2 files (3 checked)"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org/a?b=c#d", ""),
        ("http://example.org", ""),
        ("HTTPS://example.org", ""),
        (
            "data:text/html,hi",
            "'data:text/html,hi': only http and https addresses are allowed, not 'data:'",
        ),
        ("//example.org/x", "'//example.org/x' is not a web address (expected https://…)"),
        ("https://", "'https://' has no valid host name"),
        ("https://.org", "'https://.org' has no valid host name"),
        (
            "https://example.org/\x07",
            "'https://example.org/\\x07' contains spaces or control characters",
        ),
    ],
)
def test_url_problem(url, problem):
    assert url_problem(url) == problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2025", ""),
        ("2025-06", ""),
        ("2025-06-01", ""),
        ("2025-06-02", "'2025-06-02' is in the future"),
        ("2025-02-29", "'2025-02-29' is not a real date"),
        ("2024-02-29", ""),
        ("2026", "'2026' is in the future"),
    ],
)
def test_date_problem(text, problem):
    assert date_problem(text, date(2025, 6, 1)) == problem


# -- the real data ----------------------------------------------------------------------------


def test_all_real_data_is_valid_without_warnings():
    dataset, warnings = load_dataset(REPO / "indicators")
    assert [w.format() for w in warnings] == []
    files = sorted((REPO / "indicators/countries").glob("[!_.]*.yaml"))
    assert [c.iso3 for c in dataset.countries] == [p.stem for p in files]


def test_the_template_is_a_valid_country_file(tmp_path):
    template = REPO / "indicators/countries/_template.yaml"
    if not template.is_file():
        pytest.skip("indicators/countries/_template.yaml does not exist yet")
    doc, issues = load_bytes(template.read_bytes())
    assert issues == []
    # Its code is a placeholder (XXX): put the template, as a contributor would after
    # choosing a code, alone beside the real framework and sources. Unused sources are
    # warnings there, so only errors count.
    placeholder = doc.data["iso3"]
    text = template.read_text(encoding="utf-8")
    assert text.count(f"iso3: {placeholder}") == 1
    root = tmp_path / "indicators"
    (root / "countries").mkdir(parents=True)
    for name in ("framework.yaml", "sources.yaml"):
        shutil.copyfile(REPO / "indicators" / name, root / name)
    (root / "countries/KOR.yaml").write_text(
        text.replace(f"iso3: {placeholder}", "iso3: KOR"), encoding="utf-8"
    )
    try:
        load_dataset(root)
    except ScorecardError as exc:
        pytest.fail("\n".join(p.format() for p in exc.problems))


def test_the_iso_list_read_directly_is_pycountrys():
    import pycountry

    from scorecard import validate

    codes = {c.alpha_3 for c in pycountry.countries}
    assert len(codes) == 249
    assert {c.upper() for c in validate._iso_alpha3()} == codes
    for code in ("KOR", "kor", "XKX", "ZZZ", "KO", "USA"):
        assert validate._iso_country(code) == (pycountry.countries.get(alpha_3=code) is not None)
