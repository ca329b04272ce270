"""engine.explorable in Chromium: what one change of a field costs in the page, and the page's size.

Run: python benchmarks/bench_explorable.py [--repeats N]

For seed 002 (its ten parameters to vary) and a sample MLP(2, [8, 8, 1]) (every parameter to vary),
the page is written, opened in Chromium (playwright, Debian's /usr/bin/chromium) and a field is
changed ``--repeats`` times; the page times each whole update itself with ``performance.now``
(the generated forward and backward pass, every box, edge, table row, explain's paths and the
"what changed" panel) and the median is printed, with the budget the issue sets: < 50 ms for
seed 002, < 200 ms for the MLP. It also prints each page's size (seed 002's budget: < 1 MB) and
the median time to build each page in Python (gc.collect() before each run).
"""

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import median_time  # noqa: E402

import engine  # noqa: E402
import nn  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--repeats", type=int, default=15, help="field changes timed per page (median)")
parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium to drive")
args = parser.parse_args()


def seed002():
    net = nn.seed002()
    return net.E, list(net.params.values())


def mlp():
    random.seed(0)
    model = nn.MLP(2, [8, 8, 1])
    loss = nn.mse(model([0.5, -0.3]), 0.2)
    loss.label = "L"
    return loss, model.parameters()


CASES = {"seed 002": (seed002, 50.0, 1_000_000), "MLP(2, [8, 8, 1])": (mlp, 200.0, None)}


def main():
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-explorable-"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for name, (make, budget, size_budget) in CASES.items():
            root, vary = make()
            build = median_time(lambda: engine.explorable(root, vary=vary), repeats=3)
            path = folder / f"{name.split()[0]}.html"
            page_file = engine.explorable(root, path, vary=vary)
            size = len(page_file.html.encode("utf-8"))
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(path.as_uri())
            field = f'input[data-leaf="{page_file.trace.names[vary[0]]}"]'
            times = []
            for k in range(args.repeats):
                page.fill(field, repr(0.1 + 0.05 * k))
                times.append(page.evaluate("window.chainruleLastUpdate"))
            page.close()
            ms = statistics.median(times)
            sized = f"{size / 1e6:.2f} MB" + (f" (budget < {size_budget / 1e6:g} MB)" if size_budget else "")
            print(
                f"{name:18}  {len(engine.topological_order(root)):4} nodes, {len(vary):3} fields: "
                f"one change {ms:6.1f} ms in the page (median of {len(times)}; budget < {budget:g} ms), "
                f"page {sized}, built in {build * 1000:.0f} ms"
            )
        browser.close()


if __name__ == "__main__":
    main()
