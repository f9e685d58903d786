"""The clinic file: model, located validation through the protocol gates, finding it, the kit check and its
CLI (exit codes, dates in words), the example `clinic init` writes, the kit query API, contacts filled in."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aesthetic_protocols import clinic
from aesthetic_protocols.cli import app
from aesthetic_protocols.errors import InvalidProtocol, UsageError
from tests.conftest import Writer

ROOT = Path(__file__).parent.parent
TODAY = date(2026, 12, 6)

GOOD = """\
clinic: {name: "Riverside Aesthetics", address: "1 High St, Town"}
contacts:
  ambulance: {label: "Ambulance", phone: "999"}
  eye-unit: {label: "Eye casualty, County Hospital", phone: "+44 (0)1234 567-890", address: "County Rd"}
kit:
  - {item: hyaluronidase, label: "Hyaluronidase 1500 U ampoules", quantity: 4, location: "Room 2 red box",
     batch: "HX123", expiry: 2027-03-31}
  - {item: adrenaline, label: "Adrenaline 1 mg/mL", quantity: 2, expiry: "2026-12-18"}
  - {item: aspirin, label: "Aspirin 300 mg", expiry: 2026-12-01}
practitioners:
  - {name: "A. Smith", role: nurse, prescriber: false}
"""


def with_kit(text: str, entries: str) -> str:
    """`text` with kit entries added after its last one."""
    return text.replace("practitioners:", entries + "practitioners:")


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.delenv(clinic.CLINIC_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def problems_of(text: str, write: Writer) -> list[str]:
    try:
        clinic.load(write("clinic.yaml", text), "clinic.yaml")
    except InvalidProtocol as exc:
        return [str(problem) for problem in exc.problems]
    return []


def test_a_good_file_loads_with_its_hash(write: Writer) -> None:
    loaded = clinic.load(write("clinic.yaml", GOOD))
    assert loaded.clinic.clinic.name == "Riverside Aesthetics"
    assert loaded.clinic.kit[0].expiry == date(2027, 3, 31) and loaded.clinic.kit[1].expiry == date(2026, 12, 18)
    assert len(loaded.sha256) == 64


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD.replace('"999"', '"999 ext. 4"'),
     "clinic.yaml:3:35: error[schema]: contacts.ambulance.phone: must be a phone number: digits, spaces, +, - and "
     "parentheses"),
    (GOOD.replace('phone: "999"', "phone: 999"),
     "clinic.yaml:3:35: error[schema]: contacts.ambulance.phone: must be text (quote it: YAML reads yes/no/on/off "
     "as booleans and 1.10 as a number)"),
    (GOOD.replace("2027-03-31", "31/03/2027"),
     "clinic.yaml:7:22: error[schema]: kit[0].expiry: must be a date (YYYY-MM-DD)"),
    (GOOD.replace("2027-03-31", "2027-02-30"),
     "clinic.yaml:7:22: error[schema]: kit[0].expiry: is not a real date (YYYY-MM-DD)"),
    (GOOD.replace("quantity: 4", "quantity: 4, qty: 4"), "clinic.yaml:6:80: error[schema]: unknown field 'qty'"),
    (GOOD.replace("eye-unit:", "Eye_Unit:"),
     "clinic.yaml:4:3: error[schema]: contacts: a contact key must be a slug: lower-case letters, digits and '-'"),
    (GOOD + "contacts: {}\n", "clinic.yaml:12:1: error[duplicate-key]: duplicate key; first defined at line 2"),
    ("clinic: &c {name: x}\nkit: []\n", "clinic.yaml:1:9: error[yaml-anchor]: anchors (&name) are not allowed in "
                                        "protocols"),
    ("kit: []\n", "clinic.yaml:1:1: error[schema]: missing required field 'clinic'"),
])
def test_bad_input_is_a_located_error(text: str, expected: str, write: Writer) -> None:
    assert problems_of(text, write)[0] == expected


def test_an_error_never_echoes_the_value(write: Writer) -> None:
    problems = problems_of(GOOD.replace('"999"', '"call Jane Doe"'), write)
    assert problems and not any("Jane" in problem for problem in problems)


def test_the_size_and_depth_gates_are_the_protocols(write: Writer) -> None:
    assert "error[file-size]" in problems_of("#" * (2 * 1024 * 1024), write)[0]
    assert "error[yaml-depth]" in problems_of("clinic: " + "[" * 100 + "]" * 100 + "\n", write)[0]


def test_the_clinic_file_is_found_by_option_then_environment_then_config_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    named, env = tmp_path / "named.yaml", tmp_path / "env.yaml"
    named.write_text(GOOD)
    env.write_text(GOOD)
    assert clinic.find(None, {}) is None
    configured = tmp_path / "config" / "aesthetic-protocols" / "clinic.yaml"
    configured.parent.mkdir(parents=True)
    configured.write_text(GOOD)
    assert clinic.find(None, {}) == configured
    assert clinic.find(None, {clinic.CLINIC_ENV: str(env)}) == env
    assert clinic.find(named, {clinic.CLINIC_ENV: str(env)}) == named
    with pytest.raises(UsageError, match="clinic file not found"):
        clinic.find(tmp_path / "missing.yaml", {})


# --- the kit ----------------------------------------------------------------------------------------------


def test_the_kit_query_api(write: Writer) -> None:
    kit = clinic.load(write("clinic.yaml", with_kit(GOOD, """\
  - {item: atropine, label: "Atropine", quantity: 0}
  - {item: glyceryl, label: "GTN old batch", expiry: 2026-01-01}
  - {item: glyceryl, label: "GTN new batch", expiry: 2027-01-01}
"""))).clinic
    assert kit.kit_present("hyaluronidase") and not kit.kit_present("atropine") and not kit.kit_present("nothing")
    assert kit.kit_expired("aspirin", TODAY) and not kit.kit_expired("hyaluronidase", TODAY)
    assert not kit.kit_expired("glyceryl", TODAY)  # one batch is still in date
    assert kit.kit_expired("glyceryl", date(2027, 1, 2))
    assert not kit.kit_expired("nothing", TODAY) and not kit.kit_expired("atropine", TODAY)
    assert not kit.kit_expired("hyaluronidase", date(2027, 3, 31))  # usable through its expiry day
    assert kit.kit_expired("hyaluronidase", date(2027, 4, 1))


@pytest.mark.parametrize(("expiry", "words"), [
    (date(2026, 12, 5), "expired on 5 December 2026"), (date(2026, 12, 6), "expires today"),
    (date(2026, 12, 7), "expires tomorrow"), (date(2026, 12, 18), "expires in 12 days (18 December 2026)"),
])
def test_expiry_in_words(expiry: date, words: str) -> None:
    assert clinic.expiry_words(expiry, TODAY) == words


def test_check_errors_on_expired_or_missing_emergency_items_and_warns_within_30_days(write: Writer) -> None:
    text = GOOD.replace("{item: adrenaline", "{item: adrenalin").replace(
        '"Aspirin 300 mg",', '"Aspirin 300 mg", emergency: true,')
    text = with_kit(text, "  - {item: oxygen, label: O2, emergency: true, quantity: 0}\n")
    problems = [str(p) for p in clinic.check(clinic.load(write("clinic.yaml", text), "clinic.yaml"), TODAY)]
    assert problems == [
        "clinic.yaml:5:1: error[kit-missing]: emergency item 'adrenaline' is not in the kit",
        "clinic.yaml:8:65: warning[kit-expiring]: item 'adrenalin' expires in 12 days (18 December 2026)",
        "clinic.yaml:9:63: error[kit-expired]: emergency item 'aspirin' expired on 1 December 2026",
        "clinic.yaml:10:48: error[kit-missing]: emergency item 'oxygen': none in the kit",
    ]


def test_a_non_emergency_item_expired_is_a_warning(write: Writer) -> None:
    problems = [str(p) for p in clinic.check(clinic.load(write("clinic.yaml", GOOD), "c.yaml"), TODAY)]
    assert problems == [
        "c.yaml:8:66: warning[kit-expiring]: item 'adrenaline' expires in 12 days (18 December 2026)",
        "c.yaml:9:46: warning[kit-expired]: item 'aspirin' expired on 1 December 2026",
    ]


# --- the commands -------------------------------------------------------------------------------------------


def test_clinic_check_exit_codes_and_formats(runner: CliRunner, write: Writer, tmp_path: Path) -> None:
    fit = GOOD.replace("2026-12-18", "2099-12-18").replace("2027-03-31", "2099-03-31")  # the CLI's today is real
    path = write("clinic.yaml", fit)
    result = runner.invoke(app, ["clinic", "check", str(path)])
    assert result.exit_code == 0  # a warning only (the aspirin, not an emergency item)
    assert result.stdout.splitlines()[0].endswith("warning[kit-expired]: item 'aspirin' expired on 1 December 2026")
    expired = write("old.yaml", fit.replace("2099-03-31", "2020-01-31"))
    result = runner.invoke(app, ["clinic", "check", str(expired)])
    assert result.exit_code == 1
    assert f"{expired}:7:22: error[kit-expired]: emergency item 'hyaluronidase' expired on 31 January 2020" in (
        result.stdout.splitlines())
    assert result.stderr.startswith(f"{expired}: 1 error(s), ")
    as_json = json.loads(runner.invoke(app, ["clinic", "check", str(expired), "--format", "json"]).stdout)
    assert as_json["errors"] == 1 and as_json["problems"][0]["rule"] == "kit-expired"
    github = runner.invoke(app, ["clinic", "check", str(expired), "--format", "github"]).stdout
    assert github.startswith(f"::error file={expired},line=7,col=22,title=kit-expired::")
    bad = write("bad.yaml", GOOD.replace('"999"', '"nine"'))
    result = runner.invoke(app, ["clinic", "check", str(bad)])
    assert result.exit_code == 1 and "error[schema]: contacts.ambulance.phone" in result.stdout
    result = runner.invoke(app, ["clinic", "check"])
    assert result.exit_code == 2
    assert "no clinic file: give a PATH, set AESTHETIC_PROTOCOLS_CLINIC" in result.stderr
    assert runner.invoke(app, ["clinic", "check", str(tmp_path / "none.yaml")]).exit_code == 2


def test_clinic_check_reads_the_environment(runner: CliRunner, write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clinic.CLINIC_ENV, str(write("env.yaml", GOOD.replace("2027-03-31", "2020-01-31"))))
    assert runner.invoke(app, ["clinic", "check"]).exit_code == 1


def test_clinic_init_writes_an_example_that_checks_clean_and_never_overwrites(runner: CliRunner,
                                                                               tmp_path: Path) -> None:
    result = runner.invoke(app, ["clinic", "init"])
    written = tmp_path / "config" / "aesthetic-protocols" / "clinic.yaml"
    assert result.exit_code == 0 and result.stdout == (
        f"wrote {written}; edit it, then run: protocol clinic check {written}\n")
    assert written.stat().st_mode & 0o777 == 0o600
    assert "# hyaluronidase and adrenaline must be here" in written.read_text()
    assert runner.invoke(app, ["clinic", "check"]).exit_code == 0  # found in the config folder
    before = written.read_text()
    again = runner.invoke(app, ["clinic", "init"])
    assert again.exit_code == 2 and "already exists; not overwritten" in again.stderr
    assert written.read_text() == before


def test_the_example_is_a_valid_clinic_file_a_year_ahead(write: Writer) -> None:
    loaded = clinic.load(write("clinic.yaml", clinic.example(TODAY)))
    assert clinic.check(loaded, TODAY) == []
    assert [str(p.rule) for p in clinic.check(loaded, date(2027, 11, 20))] == ["kit-expiring"] * 3
    assert {p.rule for p in clinic.check(loaded, date(2028, 1, 1))} == {"kit-expired"}


# --- the schema ---------------------------------------------------------------------------------------------


def test_the_committed_clinic_schema_is_current_and_printed() -> None:
    committed = json.loads((ROOT / "protocols" / "clinic.schema.json").read_text())
    assert committed == clinic.clinic_schema(), "run: protocol schema --clinic > protocols/clinic.schema.json"
    result = CliRunner().invoke(app, ["schema", "--clinic"])
    assert result.exit_code == 0 and json.loads(result.stdout) == committed


def test_the_clinic_schema_accepts_the_example_and_refuses_what_the_tool_refuses() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(clinic.clinic_schema(), format_checker=jsonschema.FormatChecker())
    good = json.loads(json.dumps(yaml.safe_load(clinic.example(TODAY)), default=str))
    assert list(validator.iter_errors(good)) == []
    for bad in ({**good, "extra": 1}, {**good, "contacts": {"Bad_Key": {"label": "x", "phone": "1"}}},
                {**good, "contacts": {"a": {"label": "x", "phone": "ext. 4"}}},
                {**good, "kit": [{"item": "x", "label": "x", "expiry": "31/03/2027"}]}):
        assert list(validator.iter_errors(bad)), bad


# --- contacts -----------------------------------------------------------------------------------------------


def test_fill_contacts_shows_the_clinic_label_and_phone_else_the_default_words(write: Writer) -> None:
    loaded = clinic.load(write("clinic.yaml", GOOD)).clinic
    defaults = {"eye-unit": "the nearest emergency eye service", "complications": "experienced help"}
    text = "Call {contact:eye-unit} now; then {contact:complications}. {dose} and {contact:other} stay."
    resolved = clinic.resolved_contacts(defaults, loaded)
    assert resolved == {"eye-unit": "Eye casualty, County Hospital, +44 (0)1234 567-890",
                        "complications": "experienced help"}  # the clinic's ambulance no tree names: unused
    assert clinic.fill_contacts(text, resolved) == ("Call Eye casualty, County Hospital, +44 (0)1234 567-890 now; "
                                                    "then experienced help. {dose} and {contact:other} stay.")
    assert clinic.fill_contacts(text, clinic.resolved_contacts(defaults, None)) == (
        "Call the nearest emergency eye service now; then experienced help. {dose} and {contact:other} stay.")


CONTACTS = ROOT / "tests" / "fixtures" / "contacts"
CLINIC_FOR_TREE = """\
clinic: {name: "Riverside"}
contacts:
  eye-unit: {label: "Eye casualty, County Hospital", phone: "01234 567890"}
  unused: {label: "Nobody uses this", phone: "1"}
kit:
  - {item: hyaluronidase, label: "H", expiry: 2099-01-01}
  - {item: adrenaline, label: "A", expiry: 2099-01-01}
"""


@pytest.fixture()
def walker(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(CONTACTS))
    monkeypatch.setenv("COLUMNS", "100")
    return runner


def test_the_walk_shows_the_clinic_contact_else_the_tree_words_and_logs_the_clinic_hash(
        walker: CliRunner, write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("clinic.yaml", CLINIC_FOR_TREE)
    result = walker.invoke(app, ["eye-contacts", "--plain", "--clinic", str(path)], input="y\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Call Eye casualty, County Hospital, 01234 567890 now" in lines
    assert "  - Then tell experienced help" in lines  # the clinic has no `complications`: the tree's words
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    start = json.loads(log.read_text().splitlines()[0])
    assert start["clinic_sha256"] == clinic.load(path).sha256
    exported = walker.invoke(app, ["log", "export", str(log), "--format", "md"])
    assert f"- **Clinic file sha256:** {start['clinic_sha256']}" in exported.stdout.splitlines()
    # The clinic file is not where export looks: the outcome's text in the tree's words, and said so.
    assert "Call the nearest emergency eye service now" in exported.stdout
    assert exported.stderr == ("protocol: warning: the clinic file the walk read is not at hand (or changed): "
                               "contacts are shown in the tree's words\n")
    monkeypatch.setenv(clinic.CLINIC_ENV, str(path))
    exported = walker.invoke(app, ["log", "export", str(log), "--format", "md"])
    assert "Call Eye casualty, County Hospital, 01234 567890 now" in exported.stdout and exported.stderr == ""
    path.write_text(CLINIC_FOR_TREE.replace("01234 567890", "01234 000000"))  # changed since the walk
    exported = walker.invoke(app, ["log", "export", str(log), "--format", "md"])
    assert "Call the nearest emergency eye service now" in exported.stdout and "changed" in exported.stderr


def test_the_walk_without_a_clinic_file_shows_the_tree_words_and_logs_no_clinic(
        walker: CliRunner, tmp_path: Path) -> None:
    result = walker.invoke(app, ["eye-contacts", "--plain"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Call the nearest emergency eye service now" in result.stdout.splitlines()
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert "clinic_sha256" not in json.loads(log.read_text().splitlines()[0])
    assert "Clinic file" not in walker.invoke(app, ["log", "export", str(log), "--format", "md"]).stdout


def test_a_bad_clinic_file_never_stops_the_walk(walker: CliRunner, write: Writer) -> None:
    path = write("clinic.yaml", CLINIC_FOR_TREE.replace('"01234 567890"', '"call me"'))
    result = walker.invoke(app, ["eye-contacts", "--plain", "--clinic", str(path)], input="y\n")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        f"protocol: warning: clinic file not used: {path}:3:54: error[schema]: contacts.eye-unit.phone: must be a "
        "phone number: digits, spaces, +, - and parentheses")
    assert "Call the nearest emergency eye service now" in result.stdout.splitlines()


def test_the_card_and_the_review_document_show_the_clinic_contacts(walker: CliRunner, write: Writer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    card = walker.invoke(app, ["card", "eye-contacts", "--format", "md"]).stdout
    assert "**Call the nearest emergency eye service now**" in card
    review = walker.invoke(app, ["show", "eye-contacts", "--format", "markdown"]).stdout.splitlines()
    assert "**Headline:** Call the nearest emergency eye service now" in review
    assert "- `{contact:eye-unit}`: the nearest emergency eye service" in review
    monkeypatch.setenv(clinic.CLINIC_ENV, str(write("clinic.yaml", CLINIC_FOR_TREE)))
    card = walker.invoke(app, ["card", "eye-contacts", "--format", "md"]).stdout
    assert "**Call Eye casualty, County Hospital, 01234 567890 now**" in card
    assert "Call experienced help today" in card
    html = walker.invoke(app, ["card", "eye-contacts"]).stdout
    assert "Call Eye casualty, County Hospital, 01234 567890 now" in html
    review = walker.invoke(app, ["show", "eye-contacts", "--format", "markdown"]).stdout.splitlines()
    assert "**Headline:** Call Eye casualty, County Hospital, 01234 567890 now" in review
    assert "- [ ] Then tell experienced help" in review
    assert "Nobody uses this" not in "\n".join(review)


def test_a_contact_without_default_words_is_a_located_error(walker: CliRunner, write: Writer) -> None:
    text = (CONTACTS / "eye-contacts.yaml").read_text().replace(
        "Then tell {contact:complications}", "Then tell {contact:complications} or {contact:on-call}")
    path = write("eye-contacts.yaml", text)
    result = walker.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout == (f"{path}:26:13: error[unknown-contact]: a {{contact:KEY}} here has no default words "
                             "under contacts\n")


def test_a_resumed_walk_shows_the_clinic_contact_too(walker: CliRunner, write: Writer, tmp_path: Path) -> None:
    path = write("clinic.yaml", CLINIC_FOR_TREE)
    assert walker.invoke(app, ["eye-contacts", "--plain", "--clinic", str(path)], input="quit\n").exit_code == 3
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    result = walker.invoke(app, ["resume", str(log), "--plain", "--clinic", str(path)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Call Eye casualty, County Hospital, 01234 567890 now" in result.stdout.splitlines()
    without = walker.invoke(app, ["eye-contacts", "--plain"], input="quit\n")
    assert without.exit_code == 3
    (other,) = [p for p in (tmp_path / "logs").glob("*.jsonl") if p != log]
    result = walker.invoke(app, ["resume", str(other), "--plain"], input="y\n")
    assert "Call the nearest emergency eye service now" in result.stdout.splitlines()


def test_a_tree_without_contacts_reads_no_clinic_file(walker: CliRunner, write: Writer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(ROOT / "tests" / "fixtures" / "valid"))
    monkeypatch.setenv(clinic.CLINIC_ENV, str(write("clinic.yaml", "not: [a clinic")))
    result = walker.invoke(app, ["every-kind", "--plain"], input="quit\n")
    assert result.exit_code == 3 and "clinic file" not in result.stderr
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert "clinic_sha256" not in json.loads(log.read_text().splitlines()[0])


# --- kit conditions: `{kit: ITEM, expired: true}` / `{kit: ITEM, present: false}` read the clinic file's kit ---


def decided_of(log_dir: Path) -> list[dict[str, object]]:
    (log,) = sorted(log_dir.glob("*.jsonl"))
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["event"] == "decided"]


KIT_EXPIRED = CLINIC_FOR_TREE.replace('{item: hyaluronidase, label: "H", expiry: 2099-01-01}',
                                      '{item: hyaluronidase, label: "H", expiry: 2001-01-01}')


@pytest.mark.parametrize(("text", "because", "readings"), [
    (KIT_EXPIRED, "The clinic file shows the hyaluronidase in the kit has expired.",
     {"kit:hyaluronidase expired": "yes"}),
    (CLINIC_FOR_TREE.replace('  - {item: adrenaline, label: "A", expiry: 2099-01-01}\n', ""),
     "The clinic file shows no adrenaline in the kit.",
     {"kit:hyaluronidase expired": "no", "kit:adrenaline present": "no"}),
])
def test_a_kit_alarm_in_the_clinic_file_routes_the_walk_with_no_prompt(
        walker: CliRunner, write: Writer, tmp_path: Path, text: str, because: str, readings: dict[str, str]) -> None:
    path = write("clinic.yaml", text)
    result = walker.invoke(app, ["kit-check", "--plain", "--clinic", str(path)], input="")
    assert result.exit_code == 0, result.output
    assert f"Decided: {because}" in result.stdout.splitlines()
    assert "Emergency kit present and in date?" not in result.stdout
    (decided,) = decided_of(tmp_path / "logs")
    assert decided["next"] == "kit-expired" and decided["facts"] == readings


def test_a_kit_in_order_and_no_clinic_file_both_ask_the_practitioner(
        walker: CliRunner, write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("clinic.yaml", CLINIC_FOR_TREE)
    result = walker.invoke(app, ["kit-check", "--plain", "--clinic", str(path)], input="y\n")
    assert result.exit_code == 0 and "Emergency kit present and in date?" in result.stdout
    assert decided_of(tmp_path / "logs")[0]["facts"] == {"kit:hyaluronidase expired": "no",
                                                          "kit:adrenaline present": "yes"}
    for log in (tmp_path / "logs").glob("*.jsonl"):
        log.unlink()
    # Without a clinic file nothing is known about the kit: no alarm holds, and the tree asks.
    result = walker.invoke(app, ["kit-check", "--plain"], input="y\n")
    assert result.exit_code == 0 and "Emergency kit present and in date?" in result.stdout
    assert decided_of(tmp_path / "logs")[0]["facts"] == {"kit:hyaluronidase expired": "no clinic file",
                                                          "kit:adrenaline present": "no clinic file"}


def test_a_tree_that_reads_the_kit_finds_the_clinic_file_without_the_option(
        walker: CliRunner, write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("clinic.yaml", KIT_EXPIRED)
    monkeypatch.setenv(clinic.CLINIC_ENV, str(path))
    result = walker.invoke(app, ["kit-check", "--plain"], input="")
    assert result.exit_code == 0, result.output
    (log,) = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert json.loads(log.read_text().splitlines()[0])["clinic_sha256"] == clinic.load(path).sha256
    assert decided_of(tmp_path / "logs")[0]["next"] == "kit-expired"
