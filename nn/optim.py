"""Optimizers that update any list of parameters from their gradients.

``SGD`` (with optional momentum) and ``Adam`` work on any list of Values, so
training one chosen bias is ``SGD([bias], lr=0.1)``. Each has ``zero_grad()``
(leaves accumulate gradients, so clear them before every backward pass) and
``step()``. Their state (momentum, Adam's moments) is plain floats.

The learning rate is a number or a schedule: any callable k -> lr of the step
count k = 0, 1, 2, ...; :class:`LinearDecay` is micrograd's demo schedule.

    >>> from engine import Value
    >>> p = Value(1.0)
    >>> opt = SGD([p], lr=0.1)
    >>> opt.zero_grad(); (p * p).backward(); opt.step()
    >>> p.data  # 1 - 0.1 * 2
    0.8
"""

import math

from engine import Value


class LinearDecay:
    """A learning rate falling linearly from ``start`` to ``end`` over ``steps`` steps, then staying.

    lr(k) = start − (start − end)·k/steps; ``LinearDecay(1.0, 0.1, 100)`` is
    micrograd's demo, lr = 1 − 0.9·k/100.

    >>> LinearDecay(1.0, 0.1, 100)(50)
    0.55
    """

    def __init__(self, start, end, steps):
        if not steps >= 1:
            raise ValueError(f"LinearDecay needs steps >= 1, got {steps!r}")
        self.start, self.end, self.steps = start, end, steps

    def __call__(self, k):
        return self.start - (self.start - self.end) * min(k, self.steps) / self.steps

    def __repr__(self):
        return f"LinearDecay({self.start!r}, {self.end!r}, {self.steps!r})"


class Optimizer:
    """The shared part: the parameters, the step count ``k`` and the learning rate."""

    def __init__(self, params, lr):
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
        if not callable(lr) and not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            raise ValueError(f"the learning rate must be a positive number or a schedule k -> lr, got {lr!r}")
        self.schedule = lr
        self.k = 0  # steps taken

    @property
    def lr(self):
        """The learning rate the next step will use."""
        return self.schedule(self.k) if callable(self.schedule) else self.schedule

    def zero_grad(self):
        """Set the grad of every parameter to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self):
        """Update every parameter from its grad, then count the step."""
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent: p ← p − lr·g, or with momentum μ: v ← μ·v + g, p ← p − lr·v (PyTorch's form)."""

    def __init__(self, params, lr=0.1, momentum=0.0):
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = momentum
        self.velocity = [0.0] * len(self.params)

    def step(self):
        lr = self.lr
        if self.momentum:
            mu, v = self.momentum, self.velocity
            for i, p in enumerate(self.params):
                v[i] = mu * v[i] + p.grad
                p.data -= lr * v[i]
        else:
            for p in self.params:
                p.data -= lr * p.grad
        self.k += 1

    def __repr__(self):
        return f"SGD({len(self.params)} parameters, lr={self.schedule!r}, momentum={self.momentum!r})"


class Adam(Optimizer):
    """Adam (Kingma & Ba), the same update as PyTorch's (equal up to rounding).

    m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
    p ← p − lr · m̂ / (√v̂ + ε)  with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) at step t = 1, 2, ...
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"Adam's betas must be in [0, 1), got {betas!r}")
        if not eps > 0:
            raise ValueError(f"Adam's eps must be > 0, got {eps!r}")
        self.betas, self.eps = (b1, b2), eps
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self):
        (b1, b2), eps, t = self.betas, self.eps, self.k + 1
        step_size = self.lr / (1.0 - b1**t)  # lr and the bias correction of m
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
