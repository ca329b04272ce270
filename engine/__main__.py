"""A small engine demo: the documents' 2-2-2 sigmoid example, forward and backward.

Run with ``python -m engine``.
"""

from engine import Value, dot

# Seed 002: weights w1..w8, biases b1 (both hidden neurons) and b2 (both outputs)
w = [Value(v, label=f"w{i}") for i, v in enumerate([0.10, 0.15, 0.03, 0.08, 0.18, 0.06, 0.11, 0.26], 1)]
b1, b2 = Value(0.05, label="b1"), Value(0.42, label="b2")
x = [Value(0.95, label="x1"), Value(0.06, label="x2")]
target = [0.05, 0.82]

h1 = dot(w[0:2], x, b1).sigmoid()
h2 = dot(w[2:4], x, b1).sigmoid()
y1 = dot(w[4:6], [h1, h2], b2).sigmoid()
y2 = dot(w[6:8], [h1, h2], b2).sigmoid()
E = 0.5 * (target[0] - y1) ** 2 + 0.5 * (target[1] - y2) ** 2
E.backward()

print(f"outputs    Y1 = {y1.data:.10f}   Y2 = {y2.data:.10f}")
print(f"error      E  = {E.data:.10f}")
print(f"gradients  ∂E/∂w5 = {w[4].grad:.10f}   ∂E/∂w1 = {w[0].grad:.10f}")
alpha = 0.01
print(f"one step   w5 → {w[4].data - alpha * w[4].grad:.10f}   w1 → {w[0].data - alpha * w[0].grad:.10f}")
