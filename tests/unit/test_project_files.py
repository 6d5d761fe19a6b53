"""Rule and action files, and project instructions, as `mistral_lsp.project` reads them:
parsing, problems at their `file:line`, which files a rule covers, placeholders, the cap on
instructions, and unit hashes that change with the rules applied."""

from __future__ import annotations

from pathlib import Path

from mistral_lsp.project.actions import load_actions
from mistral_lsp.project.instructions import Instructions, find_instructions
from mistral_lsp.project.rules import load_rules, rules_digest, unmatched_globs
from mistral_lsp.prompting.instructions import instructions_block, with_project
from mistral_lsp.review.units import snapshot_of, with_rules_key
from mistral_lsp.syntax.document import Document


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_rule_covers_the_files_of_its_globs_and_languages(tmp_path: Path) -> None:
    write(tmp_path, ".mistral/rules/r.md",
          "---\nid: r\nseverity: info\ntitle: T\nlanguages: [Python]\nglobs: ['src/**/*.py', '!src/gen/**']\n---\nBody.\n")
    [rule] = load_rules(tmp_path).rules
    assert rule.finding_severity == "information"
    assert rule.applies_to("src/shop/cart.py", "python")
    assert not rule.applies_to("src/gen/models.py", "python")  # negated glob
    assert not rule.applies_to("tools/x.py", "python")  # outside its globs
    assert not rule.applies_to("src/app.js", "javascript")  # another language
    assert unmatched_globs([rule], ["src/a.py"]) == []
    assert [f"{p.path.name}:{p.line}: {p.message}" for p in unmatched_globs([rule], ["lib/a.py"])] == ["r.md:6: glob 'src/**/*.py' matches no file"]


def test_rule_problems_are_reported_at_their_line_and_the_rule_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".mistral/rules/a.md", "no frontmatter\n")
    write(tmp_path, ".mistral/rules/b.md", "---\nid: b\nseverity: warning\ntitle: B\nglob: '*.py'\n---\nBody.\n")
    write(tmp_path, ".mistral/rules/c.md", "---\nid: c\nseverity: warning\ntitle: C\n---\n")
    write(tmp_path, ".mistral/rules/d.md", "---\nid: d\nseverity: warning\ntitle: D\nlanguages: 3\n---\nBody.\n")
    ruleset = load_rules(tmp_path)
    assert ruleset.rules == ()
    assert [f"{p.path.name}:{p.line}: {p.message}" for p in ruleset.problems] == [
        "a.md:1: no frontmatter: the file must start with a '---' line",
        "b.md:5: unknown key 'glob' (expected id, severity, title, languages, globs)",
        "c.md:6: the rule has no text after its frontmatter",
        "d.md:5: 'languages' must be a list of strings",
    ]


def test_an_action_renders_its_placeholders_and_refuses_unknown_ones(tmp_path: Path) -> None:
    write(tmp_path, ".mistral/actions/doc.md", "---\ntitle: Doc\nkind: markdown\n---\n{{ target }} in {{language}}:\n{{selection}}\n")
    write(tmp_path, ".mistral/actions/bad.md", "---\ntitle: Bad\nkind: rewrite\n---\nUse {{target}} and {{file}}.\n")
    found = load_actions(tmp_path)
    [action] = found.actions
    assert action.render({"target": "`f`", "language": "go", "selection": "func f() {}"}) == "`f` in go:\nfunc f() {}"
    assert action.applies_to("go")
    assert [f"{p.path.name}:{p.line}: {p.message}" for p in found.problems] == [
        "bad.md:3: 'kind' must be one of edit, markdown, findings",
        "bad.md:5: unknown placeholder {{file}} (known: {{target}}, {{language}}, {{selection}}, {{instruction}})",
    ]


def test_instructions_are_capped_at_a_line_and_the_cut_is_said(tmp_path: Path) -> None:
    write(tmp_path, "AGENTS.md", "\n".join(f"- convention {n}: keep functions small." for n in range(300)))
    write(tmp_path, ".mistral/instructions.md", "Use Decimal for money.\n" * 50)
    found = find_instructions(tmp_path)
    assert [i.relative for i in found] == ["AGENTS.md", ".mistral/instructions.md"]
    block = instructions_block(found, 200)
    assert block.files == ("AGENTS.md (cut)", ".mistral/instructions.md (cut)")
    assert "- convention 0: keep functions small." in block.text
    assert "- convention 299" not in block.text
    assert "cut here: the file is longer than the mistral.instructionsTokens cap (200 tokens)" in block.text
    whole = instructions_block([Instructions("AGENTS.md", "Short.")], 200)
    assert whole.files == ("AGENTS.md",) and "cut" not in whole.text
    messages = with_project([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}], whole.text, "")
    assert messages[0]["content"].startswith("S\n\n## The project's instructions")
    assert messages[1] == {"role": "user", "content": "U"}


def test_unit_hashes_change_with_the_rules_applied_and_only_then(tmp_path: Path) -> None:
    write(tmp_path, ".mistral/rules/r.md", "---\nid: r\nseverity: error\ntitle: T\n---\nBody.\n")
    doc = Document((tmp_path / "m.py").as_uri(), "def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    snap = snapshot_of(doc)
    assert with_rules_key(snap, "") is snap  # no rules: the hashes a project without rules always had
    rules = load_rules(tmp_path).rules
    keyed = with_rules_key(snap, rules_digest(rules))
    assert {u.digest for u in keyed.units}.isdisjoint({u.digest for u in snap.units})
    write(tmp_path, ".mistral/rules/r.md", "---\nid: r\nseverity: error\ntitle: T\n---\nAnother body.\n")
    changed = with_rules_key(snap, rules_digest(load_rules(tmp_path).rules))
    assert {u.digest for u in changed.units}.isdisjoint({u.digest for u in keyed.units})
    assert with_rules_key(snap, rules_digest(rules)).units == keyed.units  # stable for the same rules
