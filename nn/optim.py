"""Optimizers that update any list of parameters from their gradients.

``SGD`` (with optional momentum and weight decay), ``Adam`` and ``AdamW`` work
on any list of Values, so training one chosen bias is ``SGD([bias], lr=0.1)``.
Each has ``zero_grad()`` (leaves accumulate gradients, so clear them before
every backward pass) and ``step()``. Their state (momentum, Adam's moments) is
plain floats.

The learning rate is a number or a schedule: any callable k -> lr of the step
count k = 0, 1, 2, ...; :class:`LinearDecay` is micrograd's demo schedule.
A number must be finite and > 0; a schedule's rate is checked at every step
(finite and >= 0) before any weight changes, so a schedule that goes negative
raises ValueError at the step where it does. Every setting is checked when the
optimizer is made (momentum and betas in [0, 1), eps > 0, weight decay >= 0) by the
number rule (engine.numbers) and kept as a plain float, whatever kind of number it was
given as (a numpy float32 learning rate leaves the weights Python floats).

    >>> from engine import Value
    >>> p = Value(1.0)
    >>> opt = SGD([p], lr=0.1)
    >>> opt.zero_grad(); (p * p).backward(); opt.step()
    >>> p.data  # 1 - 0.1 * 2
    0.8
"""

import math
from collections.abc import Callable, Iterable

from engine import Value
from engine.numbers import count, is_real, setting


class LinearDecay:
    """A learning rate falling linearly from ``start`` to ``end`` over ``steps`` steps, then staying.

    lr(k) = start − (start − end)·k/steps; ``LinearDecay(1.0, 0.1, 100)`` is
    micrograd's demo, lr = 1 − 0.9·k/100.

    >>> LinearDecay(1.0, 0.1, 100)(50)
    0.55
    """

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = setting(start, "LinearDecay's start rate")
        self.end = setting(end, "LinearDecay's end rate")
        self.steps = count(steps, "LinearDecay's steps")

    def __call__(self, k):
        return self.start - (self.start - self.end) * min(k, self.steps) / self.steps

    def __repr__(self):
        return f"LinearDecay({self.start!r}, {self.end!r}, {self.steps!r})"


class Optimizer:
    """The shared part: the parameters, the step count ``k`` and the learning rate."""

    def __init__(self, params: Iterable[Value], lr: float | Callable[[int], float]) -> None:
        params = list(params)
        if not params:
            raise ValueError("the optimizer got no parameters; pass model.parameters() or a list of Values")
        bad = next((p for p in params if not isinstance(p, Value)), None)
        if bad is not None:
            raise TypeError(f"an optimizer updates Values, got {type(bad).__name__} {bad!r}")
        seen, self.params = set(), []
        for p in params:  # a Value listed twice (a shared bias) is updated once
            if id(p) not in seen:
                seen.add(id(p))
                self.params.append(p)
        self.schedule = lr if callable(lr) else setting(lr, "the learning rate", positive=True)
        self.k = 0  # steps taken

    @property
    def lr(self) -> float:
        """The learning rate the next step will use; a schedule's is checked (finite, >= 0) here."""
        if not callable(self.schedule):
            return self.schedule
        lr = self.schedule(self.k)
        if isinstance(lr, bool) or not is_real(lr) or lr < 0:
            raise ValueError(
                f"the schedule {self.schedule!r} gave the learning rate {lr!r} at step {self.k}; "
                "a learning rate must be a finite number >= 0 (no weight was changed)"
            )
        return float(lr)

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its grad, then count the step."""
        raise NotImplementedError

    def state(self) -> dict[str, list[float]]:
        """The optimizer's own numbers per parameter, copies in ``params`` order: ``{"m": [...],
        "v": [...]}`` for Adam and AdamW, ``{"velocity": [...]}`` for SGD with momentum, else ``{}``."""
        return {}


class SGD(Optimizer):
    """Gradient descent: p ← p − lr·g, or with momentum μ: v ← μ·v + g, p ← p − lr·v (PyTorch's form).

    ``weight_decay=λ`` adds λ·p to every gradient first, g ← g + λ·p (coupled
    decay, as PyTorch's SGD): the gradient of the penalty ½λ·Σp².
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Callable[[int], float] = 0.1,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = setting(momentum, "momentum", below=1.0)
        self.weight_decay = setting(weight_decay, "weight_decay (0 for none)")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, wd = self.lr, self.weight_decay
        if self.momentum:
            mu, v = self.momentum, self.velocity
            for i, p in enumerate(self.params):
                v[i] = mu * v[i] + (p.grad + wd * p.data if wd else p.grad)
                p.data -= lr * v[i]
        elif wd:
            for p in self.params:
                p.data -= lr * (p.grad + wd * p.data)
        else:
            for p in self.params:
                p.data -= lr * p.grad
        self.k += 1

    def state(self) -> dict[str, list[float]]:
        return {"velocity": list(self.velocity)} if self.momentum else {}

    def __repr__(self):
        decay = f", weight_decay={self.weight_decay!r}" if self.weight_decay else ""
        return f"SGD({len(self.params)} parameters, lr={self.schedule!r}, momentum={self.momentum!r}{decay})"


class Adam(Optimizer):
    """Adam (Kingma & Ba), the same update as PyTorch's (equal up to rounding).

    m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
    p ← p − lr · m̂ / (√v̂ + ε)  with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) at step t = 1, 2, ...
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Callable[[int], float] = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"{name}'s betas must be a pair (β₁, β₂) of numbers in [0, 1), got {betas!r}")
        self.betas = tuple(setting(b, f"{name}'s β{i}", below=1.0) for i, b in zip("₁₂", betas))
        self.eps = setting(eps, f"{name}'s eps", positive=True)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        self._adam(self.lr)

    def state(self) -> dict[str, list[float]]:
        return {"m": list(self.m), "v": list(self.v)}

    def _adam(self, lr):
        """The Adam update of every parameter with learning rate ``lr``, then count the step."""
        (b1, b2), eps, t = self.betas, self.eps, self.k + 1
        step_size = lr / (1.0 - b1**t)  # lr and the bias correction of m
        root_c2 = math.sqrt(1.0 - b2**t)  # the bias correction of v, under the root
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / root_c2 + eps)
        self.k += 1

    def __repr__(self):
        n, lr = len(self.params), self.schedule
        return f"Adam({n} parameters, lr={lr!r}, betas={self.betas!r}, eps={self.eps!r})"


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's AdamW algorithm.

    Every step first shrinks the weights, p ← p − lr·λ·p, and then makes Adam's
    update from the gradient alone, so the decay is not rescaled by Adam's
    √v̂ as an L2 term in the loss would be. ``weight_decay=λ`` defaults to
    0.01, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Callable[[int], float] = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps)
        self.weight_decay = setting(weight_decay, "weight_decay (0 for none)")

    def step(self) -> None:
        lr = self.lr
        if self.weight_decay:
            shrink = 1.0 - lr * self.weight_decay
            for p in self.params:
                p.data *= shrink
        self._adam(lr)

    def __repr__(self):
        n, lr, wd = len(self.params), self.schedule, self.weight_decay
        return (
            f"AdamW({n} parameters, lr={lr!r}, betas={self.betas!r}, eps={self.eps!r}, weight_decay={wd!r})"
        )
