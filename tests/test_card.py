"""The one-page card: red flags with what to do, doses with their hedges, numbered steps, escaping."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.report import card as card_module
from aesthetic_protocols.report.card import card_data, card_html, card_markdown
from aesthetic_protocols.search import bundled_dir, protocol_files
from tests.sessions import VO_FILE

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", os.pathsep.join([str(FIXTURES / "valid"), str(FIXTURES / "nasty")]))
    return CliRunner()


def test_the_markdown_card_of_the_records_tree_is_exact(runner: CliRunner) -> None:
    result = runner.invoke(app, ["card", "records", "--format", "md"])
    assert result.exit_code == 0, result.output
    sha = load_file(FIXTURES / "valid" / "records.yaml").source.sha256
    assert result.stdout.splitlines() == [
        "# Example tree with record fields and headlines: quick reference card",
        "",
        f"records · version 1.0.0 · **DRAFT** · sha256 {sha[:12]}",
        "",
        "> **DRAFT: reference content, not approved by a clinician.** Check against your local protocol.",
        "",
        "## Red flags: at any step",
        "",
        "- **[v] Vision change**",
        "    - Emergency referral: **Call an ambulance now**",
        "",
        "## Doses as this protocol states them",
        "",
        "**dose: 500 U \u00d7 areas (up to 3; beyond: beyond the protocol's table: get senior help)**",
        "",
        "Treat: Give 500 U \u00d7 areas now.",
        "",
        "## Steps",
        "",
        "1. **Record the product**",
        "    - Record: Product name; Batch number; Volume injected (mL); Time of injection; Date of treatment",
        "    - → step 2",
        "2. **Areas affected**",
        "    - Enter areas: 1 to 4 areas",
        "    - → step 3",
        "3. **Treat**: **Give 500 U \u00d7 areas now**",
        "    - → step 4",
        "4. **Record what was given**",
        "    - Record: Diluent; Dose given (U, default: dose)",
        "    - → step 5",
        "5. **Resolved** (resolved)",
        "",
        f"Sources: EX-1. Card of records 1.0.0, file sha256 {sha}.",
    ]


def test_decisions_point_at_step_numbers_and_red_flag_paths_say_where_they_end() -> None:
    protocol = load_file(VO_FILE).protocol
    card = card_data(protocol, "0" * 64)
    numbers = {step.node_id: step.number for step in card.steps}
    signs = next(step for step in card.steps if step.node_id == "signs")
    assert [(c.key, c.goes_to) for c in signs.choices] == [("y", f"step {numbers['filler-type']}"),
                                                          ("n", f"step {numbers['no-signs']}")]
    assert "eye-actions" not in numbers  # reached only through the red flag: it is in the red box
    (flag,) = card.flags
    assert (flag.target, flag.ends) == ("EYE EMERGENCY: refer immediately", "Emergency referral: eye (emergency)")
    assert card.doses[0].rule.startswith("500 U \u00d7 areas (up to 3; beyond: beyond the reported table")
    hedges = card.doses[0].where
    assert any(said.startswith("Sources disagree: Reports of the HDPH-2017 scheme differ") for said in hedges)
    assert card.sha_short == "0" * 12 and card.sources[0] == "ACE-VO-2020"


def test_protocol_text_comes_out_literally_in_the_markdown_card(runner: CliRunner) -> None:
    lines = runner.invoke(app, ["card", "nasty", "--format", "md"]).stdout.splitlines()
    assert lines[0] == "# Tree \\<script\\>alert(1)\\</script\\> \\& \\*stars\\* \\# hash: quick reference card"
    flag = lines.index("- **[v] Eye \\<img src=x onerror=alert(1)\\> \\| pipe**")
    assert lines[flag + 1:flag + 3] == ["    - Stop \\& refer \\<now\\>", "        - Call \\*999\\* \\<tel\\>"]
    assert "1. **Step \\`one\\` \\<i\\>**: **Give \\*\\*500 U\\*\\* \\& check \\# now \\[31mred**" in lines
    assert "    - [b] B \\_under\\_ \\[link\\](http://x.invalid) → step 3" in lines


def test_protocol_text_comes_out_literally_in_the_html_card(runner: CliRunner) -> None:
    html = runner.invoke(app, ["card", "nasty"]).stdout
    assert "<h1>Tree &lt;script&gt;alert(1)&lt;/script&gt; &amp; *stars* # hash</h1>" in html
    assert "Eye &lt;img src=x onerror=alert(1)&gt; | pipe" in html
    assert '<span class="headline">Give **500 U** &amp; check # now [31mred</span>' in html
    assert "<script>alert" not in html and "<img" not in html and "\x1b" not in html


@pytest.mark.parametrize("path", list(protocol_files(bundled_dir())), ids=lambda p: p.stem)
def test_every_bundled_tree_has_a_card_naming_its_version_and_every_main_step(path: Path) -> None:
    loaded = load_file(path)
    html = card_html(loaded.protocol, loaded.source.sha256)
    markdown = card_markdown(loaded.protocol, loaded.source.sha256)
    card = card_data(loaded.protocol, loaded.source.sha256)
    assert f"version {loaded.protocol.version}" in html and loaded.source.sha256[:12] in markdown
    assert [step.number for step in card.steps] == list(range(1, len(card.steps) + 1))
    assert card.steps[0].node_id == loaded.protocol.start


def test_control_codes_from_an_old_or_foreign_file_are_shown_not_obeyed() -> None:
    # Today's loader refuses them (rule text-control); a protocol built before that rule, or by other code,
    # still never steers the terminal or the page: the card shows the escape as a visible symbol.
    protocol = load_file(FIXTURES / "nasty" / "nasty.yaml").protocol
    first = protocol.nodes[protocol.start]
    steered = protocol.model_copy(update={"nodes": {**protocol.nodes, protocol.start: first.model_copy(
        update={"headline": "Give now \x1b[31mred \x1b]52;c;aGk=\x07"})}})
    for text, sides in ((card_markdown(steered, "0" * 64), 1), (card_html(steered, "0" * 64), 2)):
        assert "\x1b" not in text and "\x07" not in text
        assert text.count("\u241b") == 2 * sides  # each escape shown as the visible symbol for ESC (on each side)


def test_a_tree_cannot_take_the_id_card(runner: CliRunner, tmp_path: Path) -> None:
    tree = tmp_path / "card.yaml"
    tree.write_text((FIXTURES / "nasty" / "nasty.yaml").read_text().replace("id: nasty", "id: card"))
    result = runner.invoke(app, ["validate", str(tree)])
    assert result.exit_code == 1 and "error[reserved-id]" in result.stdout


def test_an_unknown_id_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["card", "no-such-tree"])
    assert result.exit_code == 2


def test_a_short_tree_starts_in_larger_type_than_a_long_one() -> None:
    sizes = {path.stem: card_data(load_file(path).protocol, "0" * 64).size for path in protocol_files(bundled_dir())}
    assert all(6 <= size <= 14 for size in sizes.values())
    assert sizes["pre-treatment-check"] > sizes["vascular-occlusion"]


def test_each_red_flag_comes_with_its_whole_emergency_path() -> None:
    protocol = load_file(bundled_dir() / "vascular-occlusion.yaml").protocol
    lines = card_markdown(protocol, "0" * 64).splitlines()
    flag = lines.index("- **[a] Anaphylaxis: airway swelling, wheeze or breathing difficulty, faintness or low blood "
                       "pressure**")
    assert lines[flag + 1:flag + 9] == [
        "    - EMERGENCY: anaphylaxis: **Adrenaline 500 micrograms IM into the thigh now, and a helper calls 999 now**",
        "        - Give adrenaline 500 micrograms IM (0.5 mL of 1 mg/mL) into the anterolateral thigh now, drawn up "
        "from an ampoule.",
        "        - At the same time a helper calls 999 (ambulance), saying \"anaphylaxis\". If you are alone: "
        "adrenaline first, then call (judgement on the order).",
        "        - An adult auto-injector gives 300 micrograms, less than the 500-microgram dose; use it only if no "
        "ampoule is at hand (the kit should hold 1 mg/mL ampoules, syringes and needles).",
        "        - Lie the patient flat, legs raised if possible; semi-recumbent only if breathing is difficult. No "
        "sudden sitting or standing; do not let them stand or walk even if better.",
        "        - Stop giving hyaluronidase. The occlusion is untreated while it is stopped: hand over the occlusion "
        "time, product, site and every dose given.",
        "        - Repeat adrenaline after 5 minutes if not better. No better after two doses: refractory anaphylaxis, "
        "IV fluids early if blood pressure is low (needs IV access and skills: ambulance or hospital).",
        "        - Until handover: Repeat adrenaline if not better: every 5 min from \\[d\\]; Repeat adrenaline if not "
        "better (after an auto-injector): every 5 min from \\[u\\]; log \\[d\\] Adrenaline 500 micrograms IM given "
        "(ampoule), \\[u\\] Adult auto-injector given (300 micrograms), \\[c\\] 999 called: anaphylaxis, \\[l\\] Lying "
        "flat, legs raised, \\[f\\] IV fluids started (IV access and skills), \\[p\\] Hyaluronidase pulse given before "
        "the reaction (dose, time), \\[k\\] Aspirin was given earlier; \\[h\\] handed over",
    ]
    assert lines[flag + 9] == ""  # the whole path: nothing of it cut
    # A step without a headline (what to record) goes on with the step before it, to the outcome.
    stroke = card_data(protocol, "0" * 64).flags[1]
    assert [action.title for action in stroke.actions] == ["STROKE SIGNS: call an ambulance",
                                                          "Emergency: suspected stroke"]
    assert stroke.actions[0].lines[-1].startswith("Record: Clock time the stroke signs began")


def test_a_decide_lists_its_rules_and_a_wait_its_early_edge() -> None:
    protocol = load_file(Path(__file__).parent / "fixtures" / "valid" / "decide.yaml").protocol
    card = card_markdown(protocol, "0" * 64)
    assert ("4. **Is it safe to go ahead?**\n"
            "    - if expiry before today (The expiry date has passed.) → step 5\n") in card
    assert "    - otherwise → step 7\n" in card
    assert "    - Wait 30 min, then reassess.\n    - early, once confirmed → step 10\n    - → step 9\n" in card



def test_the_wall_side_names_the_log_by_its_keys_when_the_entries_are_overleaf() -> None:
    card = card_data(load_file(bundled_dir() / "vascular-occlusion.yaml").protocol, "0" * 64)
    timers = {flag.key: [t for action in flag.actions for t in action.wall_timers] for flag in card.flags}
    # The eye emergency is on the main path: its step overleaf lists each log entry in words.
    assert timers["v"] == ["Next hyaluronidase pulse if the skin is not restored: every 60 min from [p]; log [c] [p] "
                           "[k] [g] [d] (each key's entry: overleaf); [h] handed over"]
    assert [step.flag for step in card.steps if step.node_id == "eye-emergency"] == ["v"]
    # Anaphylaxis is reached only by its red flag, so nothing overleaf says its log: the wall side does.
    assert "anaphylaxis" not in {step.node_id for step in card.steps}
    assert timers["a"][0].endswith("log [d] Adrenaline 500 micrograms IM given (ampoule), [u] Adult auto-injector "
                                   "given (300 micrograms), [c] 999 called: anaphylaxis, [l] Lying flat, legs raised, "
                                   "[f] IV fluids started (IV access and skills), [p] Hyaluronidase pulse given "
                                   "before the reaction (dose, time), [k] Aspirin was given earlier; [h] handed over")


def test_timers_kept_until_handover_are_printed_under_their_step(monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = load_file(bundled_dir() / "vascular-occlusion.yaml").protocol
    monkeypatch.setattr(card_module, "until_handover",
                        lambda protocol, node: ["every hour: pulse"] if node.kind == "outcome" else [])
    monkeypatch.setattr(card_module, "wall_until_handover",
                        lambda node: ["every hour: pulse [p]"] if node.kind == "outcome" else [])
    html = card_html(protocol, "0" * 64)
    assert '<li class="timer"><span class="lead">Until handover:</span> every hour: pulse [p]</li>' in html  # wall
    assert '<span class="line">\u2013 Until handover: every hour: pulse</span>' in html  # details (an en dash)
    assert "        - Until handover: every hour: pulse" in card_markdown(protocol, "0" * 64).splitlines()


@pytest.mark.parametrize("path", list(protocol_files(bundled_dir())), ids=lambda p: p.stem)
def test_no_placeholder_is_printed_as_written(path: Path) -> None:
    protocol = load_file(path).protocol
    for text in (card_html(protocol, "0" * 64), card_markdown(protocol, "0" * 64)):
        # "[areas]" (Markdown: "\\[areas\\]") or "{areas}"; a key such as "[v]" is one letter.
        assert not re.search(r"\[[a-z_]{2,}\\?\]|\{[a-z_]+\}", text.split("<script>")[0])


def test_an_entered_count_is_said_in_words() -> None:
    # 0.3.0 shows no computed dose: the count entered is offered by the pulse record, said in words.
    protocol = load_file(bundled_dir() / "vascular-occlusion.yaml").protocol
    pulse = next(step for step in card_data(protocol, "0" * 64).steps if step.node_id == "pulse-record")
    assert pulse.lines[0] == ("Record: Diluent; Areas treated (areas, default: the number of areas); Dose actually "
                              "given (U); Clock time of the pulse (empty: now)")
