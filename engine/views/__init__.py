"""Views of a recorded pass: explanations (``explaining``), what a pass costs (``counting``) and
drawings, frames, players and GIFs (``drawing``). They read a record; none runs backward again.
"""
