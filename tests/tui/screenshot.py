"""Export the README screenshot of the run screen (an SVG, from ``app.save_screenshot``).

    .venv/bin/python -m tests.tui.screenshot docs/tui.svg            # recorded replay
    .venv/bin/python -m tests.tui.screenshot docs/tui.svg --profile demo   # a real audit

The replay uses the TUI tests' data (real BBQ-lite items, synthetic answers); with
``--profile`` the real engine runs the audit (the demo takes about ten minutes on CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

SIZE = (140, 56)


async def _shoot(app, out: Path, backend) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("s")
        for _ in range(3):  # the model and data check, then the audit's own worker
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        app.save_screenshot(out.name, str(out.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--profile", default=None, help="run this profile for real")
    parser.add_argument(
        "--bbq", default=os.environ.get("SPILLOVER_BBQ"), help="BBQ folder (replay: the lite set)"
    )
    parser.add_argument("--store", default=None, help="run store for a real audit")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from tui import SpilloverApp

    if args.profile:
        from tui.backend import Backend

        backend = Backend(args.store, args.bbq)
        profile = args.profile
    else:
        from .data import PROFILES, build
        from .fakes import ReplayBackend

        os.environ["SPILLOVER_PROFILES"] = str(PROFILES)
        lite = Path(args.bbq or Path(__file__).resolve().parents[3] / "shared" / "bbq" / "lite")
        backend = ReplayBackend(build(Path(tempfile.mkdtemp()), lite))
        profile = "demo"
    try:
        asyncio.run(_shoot(SpilloverApp(backend, profile=profile), args.out.resolve(), backend))
    finally:
        backend.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
