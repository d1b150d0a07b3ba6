"""The CI examples of docs/ci.md: every `spillover` command their steps run exists in the
click command tree, with every flag and profile it names; the cache is keyed on what the
audit evaluates; docs/ci.md quotes both files as they are."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from auditor.audit.profiles import available
from auditor.cli import main

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = {
    "github": ROOT / "docs" / "ci" / "github-actions.yml",
    "gitlab": ROOT / "docs" / "ci" / "gitlab-ci.yml",
}
SCRIPT_KEYS = ("run", "script", "before_script", "after_script")
OPERATORS = re.compile(r"^[;&|()<>]+$")
KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "time", "exec"}


def shell_scripts(node) -> list[str]:
    """Every shell script of a workflow: GitHub's `run:` and GitLab's `script:` (and its
    before/after scripts), a string or a list of strings, anywhere in the document."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS and isinstance(value, str):
                found.append(value)
            elif key in SCRIPT_KEYS and isinstance(value, list):
                found += [v for v in value if isinstance(v, str)]
            else:
                found += shell_scripts(value)
    elif isinstance(node, list):
        for value in node:
            found += shell_scripts(value)
    return found


def spillover_commands(script: str) -> list[list[str]]:
    """The words of each simple command of ``script`` that runs `spillover` (backslash
    line continuations joined; commands split at ; && || | and cut at a redirection)."""
    commands = []
    for line in re.sub(r"\\\n", " ", script).splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in [*lexer, ";"]:
            if not OPERATORS.match(token):
                words.append(token)
                continue
            while words and (words[0] in KEYWORDS or re.match(r"^\w+=", words[0])):
                words.pop(0)  # `then`, `! cmd`, an environment assignment
            if words and words[0] == "spillover":
                commands.append(words)
            words = [] if token not in {">", ">>", "<"} else ["<redirected>"]
    return commands


def workflow_commands(path: Path) -> list[list[str]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [c for script in shell_scripts(doc) for c in spillover_commands(script)]


def _profile_problem(name: str) -> str | None:
    if "$" in name:
        return f"profile {name!r} is not a literal name"
    if name in available() or (ROOT / name).is_file():
        return None
    return f"profile {name!r} is neither bundled nor a file in the repository"


def problems(argv: list[str]) -> list[str]:
    """What in ``argv`` (``spillover …``) the command tree does not know: a subcommand,
    a flag (named as written), or a profile."""
    found: list[str] = []
    command: click.Command = main
    ctx = click.Context(main, info_name="spillover", **main.context_settings)
    path = ["spillover"]
    words = argv[1:]
    positional: list[str] = []
    while words:
        word = words.pop(0)
        if word.startswith("-") and word != "-":
            name, _, inline = word.partition("=")
            option = next(
                (p for p in command.get_params(ctx) if name in (*p.opts, *p.secondary_opts)),
                None,
            )
            if option is None:
                found.append(f"{' '.join(path)}: unknown flag {name}")
                if not inline and words and not words[0].startswith("-"):
                    words.pop(0)  # an unknown flag's value, most likely
                continue
            takes_value = not (isinstance(option, click.Option) and option.is_flag)
            value = inline or (words.pop(0) if takes_value and not inline and words else "")
            if option.name == "profile_name" and takes_value:
                found += [p for p in [_profile_problem(value)] if p]
            continue
        if isinstance(command, click.Group) and not positional:
            sub = command.get_command(ctx, word)
            if sub is None:
                found.append(f"{' '.join(path)}: unknown command {word}")
                return found
            command, path = sub, [*path, word]
            ctx = click.Context(sub, parent=ctx, info_name=word)
            continue
        positional.append(word)
    if path[1:] == ["profiles", "show"] and positional:
        found += [p for p in [_profile_problem(positional[0])] if p]
    return found


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_every_command_and_flag_of_the_workflow_exists(name):
    commands = workflow_commands(WORKFLOWS[name])
    assert [c[1] for c in commands if c[1] == "audit"] == ["audit"], commands
    unknown = [p for argv in commands for p in problems(argv)]
    assert not unknown, f"{WORKFLOWS[name].name} uses what spillover lacks: " + "; ".join(unknown)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("spillover audit --profile ci --no-such-flag 3 --gate", ["unknown flag --no-such-flag"]),
        ("spillover gate A B --max-acuracy-drop=0.1", ["unknown flag --max-acuracy-drop"]),
        ("spillover audt --profile ci", ["unknown command audt"]),
        ("spillover data fecth --dest bbq", ["unknown command fecth"]),
        ("spillover audit --profile nosuch --gate", ["neither bundled nor a file"]),
        ('spillover profiles show "$P" > p.toml', ["not a literal name"]),
        ("x=1 spillover audit \\\n  --profile ci \\\n  --bogus || status=$?", ["--bogus"]),
        ("if true; then spillover compare A B --fromat json; fi", ["--fromat"]),
    ],
)
def test_an_unknown_command_flag_or_profile_is_reported(script, expected):
    """The check can fail: each bad command string is caught, and named."""
    commands = spillover_commands(script)
    assert len(commands) == 1, commands
    found = problems(commands[0])
    assert len(found) == len(expected), found
    assert all(e in f for e, f in zip(expected, found, strict=True)), found


def test_known_commands_pass_and_values_are_not_flags():
    script = (
        "spillover audit --profile profiles/ci.toml --model \"$BASE\" --set 'a.b=1' "
        '--gate-mode=noninferiority --append-markdown "$GITHUB_STEP_SUMMARY" -h\n'
        "spillover data fetch --dest bbq && spillover profiles show ci > p.toml"
    )
    commands = spillover_commands(script)
    assert [c[:2] for c in commands] == [["spillover", "audit"], ["spillover", "data"],
                                         ["spillover", "profiles"]]  # fmt: skip
    assert [problems(c) for c in commands] == [[], [], []]


def _flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, w in enumerate(argv[:-1]) if w == flag]


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_the_hashed_profile_is_the_audited_one(name):
    """The cache key hashes `profiles show` of the audit's own profile and --set values,
    and the audit gates, on the store the cache restores."""
    commands = workflow_commands(WORKFLOWS[name])
    audit = next(c for c in commands if c[1] == "audit")
    show = next(c for c in commands if c[1:3] == ["profiles", "show"])
    assert show[3] == _flag_values(audit, "--profile")[0]
    assert _flag_values(show, "--set") == _flag_values(audit, "--set")
    assert "--gate" in audit and "--target" in audit
    assert {"spillover.html", "spillover-junit.xml"} <= set(_flag_values(audit, "--output"))
    doc = yaml.safe_load(WORKFLOWS[name].read_text(encoding="utf-8"))
    env = doc["env"] if name == "github" else doc["spillover"]["variables"]
    assert _flag_values(audit, "--store") == ["$STORE"]
    folder = str(Path(env["STORE"]).parent)
    text = WORKFLOWS[name].read_text(encoding="utf-8")
    if name == "github":
        steps = doc["jobs"]["spillover"]["steps"]
        restore = next(s for s in steps if s.get("id") == "store")
        key = restore["with"]["key"]
        assert restore["with"]["path"] == folder
        for part in (
            "env.BASE_MODEL",
            "hashFiles('bbq/**')",
            "hashFiles('spillover-profile.toml')",
        ):
            assert part in key, key
        assert _flag_values(audit, "--append-markdown") == ["$GITHUB_STEP_SUMMARY"]
        save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save"))
        assert save["if"].startswith("always()") and save["with"]["path"] == folder
    else:
        job = doc["spillover"]
        assert f"{folder}/" in job["cache"]["paths"] and job["cache"]["when"] == "always"
        assert job["artifacts"]["reports"]["junit"] == "spillover-junit.xml"
        assert job["artifacts"]["when"] == "always"
        assert "rm -rf .spillover" in text and "sha256sum spillover-profile.toml" in text


def test_the_doc_quotes_both_workflows_as_they_are():
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    for path in WORKFLOWS.values():
        assert path.read_text(encoding="utf-8") in blocks, path
