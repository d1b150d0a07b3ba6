"""What an audit of a profile will do, in a few words (the home screen's profile info)."""

from __future__ import annotations

from rich.text import Text


def profile_summary(profile) -> Text:
    """What an audit of ``profile`` will do, in a few words."""
    d, a = profile.data, profile.align
    text = Text()
    if profile.description:
        text.append(profile.description + "\n")
    sample = f"{d.sample:,} item{'' if d.sample == 1 else 's'}" if d.sample else "all items"
    if profile.candidate.models or profile.candidate.adapters:
        from auditor.audit.candidates import candidates_of

        shown = ", ".join(c.shown for c in candidates_of(profile))
        target = ", ".join(profile.candidate.target) or "none named"
        text.append(
            f"compare {shown} with the base · no training · target {target} · eval {sample}, "
            f"{profile.eval.mode} · gate {profile.gate.mode}",
            style="dim",
        )
        return text
    steps = (
        f"{a.max_steps} step{'' if a.max_steps == 1 else 's'}"
        if a.max_steps > 0
        else f"{a.epochs:g} epoch{'' if a.epochs == 1 else 's'}"
    )
    from auditor.align.methods import unused
    from auditor.audit.pipeline import replicate_seeds

    beta = "" if "beta" in unused(a.method) else f", β {a.beta:g}"
    text.append(
        f"target {', '.join(a.target)} · eval {sample}, {profile.eval.mode} · "
        f"{a.method.upper()} {steps}{beta} · {profile.stats.correction}",
        style="dim",
    )
    seeds, e = replicate_seeds(profile), profile.eval
    extras = (
        ([f"{len(seeds)} seeds ({', '.join(map(str, seeds))})"] if seeds else [])
        + ([f"{e.orders} option orders"] if e.orders != "none" else [])
        + [f"{fmt} transfer" for fmt in e.transfer]
    )
    if extras:
        text.append(" · " + " · ".join(extras), style="dim")
    return text
