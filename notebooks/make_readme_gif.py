"""Write notebooks/backprop.gif, the README's animation: seed 002's backward pass, one frame per step.

Each frame is 1000 × 900 px: the step's sentence on top and, below it, the part of the
drawing where that step happens (the drawing is taller than that: the window follows the
step, and a bar at the right edge shows where it is), so caption and action are seen together.

Run from anywhere, after any change to the engine's steps or drawings:

    python notebooks/make_readme_gif.py

tests/test_readme_gif.py checks that the committed GIF still has one frame per chain-rule
step of the current trace, plus the start, and that each step shows under its caption.
"""

from pathlib import Path

import engine
import nn

GIF = Path(__file__).resolve().parent / "backprop.gif"


def main():
    net = nn.seed002()
    t = engine.trace(net.E)
    engine.animate(t, GIF, duration=0.9, pause=3.0, width=1000, height=900)
    print(f"wrote {GIF} ({GIF.stat().st_size / 1e6:.2f} MB): {len(t) + 1} frames, the start and {len(t)} steps")


if __name__ == "__main__":
    main()
