"""Tools on the engine: gradient checks (``checking``), hypothesis strategies (``strategies``),
generated code (``compiling``) and the safe formula parser and printer (``expr``).
"""
