"""A :class:`engine.Quiz` as one offline HTML page: ``quiz(L).page("quiz.html")``.

The page holds everything it needs (no external script, style or font; it works from
file://). The questions, answers, hints and the usual slips come from the same
:class:`Quiz` the notebook widget and the terminal use, as JSON inside the page's script
with ``<``, ``>``, ``&`` and U+2028/U+2029 written as ``\\u`` sequences, and every text is put
into the page with ``textContent``, never as HTML. An answer may be a number or a formula
in the graph's names: a small evaluator in the page (a tokenizer and a recursive-descent
parser over numbers, names, ``+ - * / **``, unary minus, parentheses and the rule table's
one- and two-input functions) reads it; there is no ``eval`` and no ``Function``.
The stable hooks are ``#question``, ``#answer``, ``#check``, ``#feedback`` and ``#score``.
"""

import html
from pathlib import Path
from typing import Any

from .. import files, markup
from ..tools import expr

# The functions the page's evaluator knows (JavaScript, below); formulas may call these.
PAGE_FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs", "maximum", "minimum",
                  "leaky_relu", "softplus", "log1p", "expm1", "tan", "atan", "sinh", "cosh")  # fmt: skip


def script_json(data: Any) -> str:
    """``data`` as JSON safe inside a ``<script>`` element (engine.markup.script_json)."""
    return markup.script_json(data)


def data(quiz: Any) -> dict:
    """What the page needs from ``quiz``: names and values, the questions and the tolerances."""
    t = quiz.trace
    L = t.names[t.root]
    return {
        "title": f"Your turn: the backward pass from {L}",
        "names": quiz.values,
        "functions": [f for f in PAGE_FUNCTIONS if f in expr.FUNCTIONS],
        "rel": quiz.rel,
        "abs": 1e-9,
        "maxLength": expr.MAX_LENGTH,
        "maxDepth": expr.MAX_DEPTH,
        "questions": [
            {
                "context": q.context,
                "ask": q.ask,
                "answer": q.answer,
                "hint": q.hint,
                "solution": q.solution,
                "slips": [{"kind": c.kind, "value": c.value, "text": c.text} for c in q.slips],
            }
            for q in quiz.questions
        ],
    }


def page(quiz: Any) -> str:
    """The quiz as the text of a self-contained HTML page."""
    d = data(quiz)
    example = next(
        (
            q.step.formula
            for q in quiz.questions
            if q.what == "local" and any(c.isalpha() for c in q.step.formula)
        ),
        "0.5",
    )
    return _PAGE.format(
        title=html.escape(d["title"]),
        example=html.escape(example),
        functions=html.escape(", ".join(d["functions"])),
        data=script_json(d),
        script=_SCRIPT,
    )


def write(quiz: Any, path: Any) -> Path:
    """Write :func:`page` to ``path`` (a new .html file, written whole or not at all)."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the quiz page is HTML: give a path ending in .html, not {str(path)!r}")
    files.write_atomic(target, page(quiz))
    return target


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }}
#question {{ white-space: pre-wrap; font-family: ui-monospace, monospace; background: #f6f6f6;
  padding: .8em; border-radius: 4px; }}
#answer {{ font-size: 1.1em; width: 24em; padding: .3em; }}
#check {{ font-size: 1.1em; padding: .3em 1em; }}
#feedback {{ min-height: 3em; margin-top: .8em; white-space: pre-wrap; }}
.right {{ color: #070; }} .hint {{ color: #a60; }} .wrong {{ color: #b00; }} .invalid {{ color: #555; }}
#score {{ margin-top: 1em; font-weight: bold; }}
small {{ color: #555; }}
</style></head>
<body>
<h1>{title}</h1>
<p><small>At each chain-rule step, type the number asked for, or a formula in the graph's names
(for example <code>{example}</code>). Formulas may use + - * / ** ( ) and {functions}.
A first miss shows the rule table's formula; a second shows the answer and the likely slip.
A number is right within 0.05 % (about four significant digits).</small></p>
<div id="question"></div>
<p><input id="answer" autocomplete="off" spellcheck="false" aria-label="your answer"/>
<button id="check">Check</button></p>
<div id="feedback"></div>
<div id="score"></div>
<script id="quiz-data" type="application/json">{data}</script>
<script>{script}</script>
</body></html>
"""

_SCRIPT = r"""
"use strict";
(function () {
  var D = JSON.parse(document.getElementById("quiz-data").textContent);
  var names = new Map(Object.entries(D.names));
  var sig = function (x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); };
  var need = function (ok, msg) { if (!ok) { throw new Error(msg); } };
  var ALL = {
    exp: [1, function (a) { return Math.exp(a); }],
    log: [1, function (a) { need(a > 0, "log needs a positive input"); return Math.log(a); }],
    sqrt: [1, function (a) { need(a >= 0, "sqrt needs an input >= 0"); return Math.sqrt(a); }],
    tanh: [1, Math.tanh], sigmoid: [1, sig],
    relu: [1, function (a) { return a > 0 ? a : 0; }],
    sin: [1, Math.sin], cos: [1, Math.cos], abs: [1, Math.abs],
    maximum: [2, Math.max], minimum: [2, Math.min],
    leaky_relu: [2, function (a, k) { return a > 0 ? a : k * a; }],
    softplus: [1, function (a) { return Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))); }],
    log1p: [1, function (a) { need(a > -1, "log1p needs an input > -1"); return Math.log1p(a); }],
    expm1: [1, Math.expm1], tan: [1, Math.tan], atan: [1, Math.atan],
    sinh: [1, Math.sinh], cosh: [1, Math.cosh]
  };
  var FUNCS = new Map();
  D.functions.forEach(function (f) { if (ALL[f]) { FUNCS.set(f, ALL[f]); } });

  // tokenizer: numbers, names, ** + - * / ( ) ,
  function tokens(text) {
    var out = [], i = 0, m;
    var number = "(\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)";
    var name = "([\\p{L}_][\\p{L}\\p{N}_]*)", op = "(\\*\\*|[-+*/(),])";
    var re = new RegExp("\\s*(?:" + number + "|" + name + "|" + op + ")", "uy");
    while (i < text.length) {
      re.lastIndex = i;
      m = re.exec(text);
      if (!m) {
        if (/^\s*$/.test(text.slice(i))) { break; }
        var c = text.slice(i).trim()[0];
        throw new Error("the character " + JSON.stringify(c) + " at column " + (i + 1) + " is not allowed");
      }
      if (m[1] !== undefined) { out.push({ k: "num", v: parseFloat(m[1]), at: i }); }
      else if (m[2] !== undefined) { out.push({ k: "name", v: m[2], at: i }); }
      else { out.push({ k: "op", v: m[3], at: i }); }
      i = re.lastIndex;
    }
    return out;
  }

  // recursive descent: expr := term (+|- term)*; term := unary (*|/ unary)*;
  // unary := (-|+) unary | power; power := atom (** unary)?; atom := number | name | call | ( expr )
  function evaluate(text) {
    if (typeof text !== "string" || !text.trim()) { throw new Error("type a number or a formula"); }
    if (text.length > D.maxLength) { throw new Error("at most " + D.maxLength + " characters"); }
    var t = tokens(text), p = 0, depth = 0;
    var peek = function () { return t[p]; };
    var isOp = function (v) { return t[p] && t[p].k === "op" && t[p].v === v; };
    var enter = function () { need(++depth <= D.maxDepth, "the formula is nested too deeply"); };
    function expr() {
      enter();
      var v = term();
      while (isOp("+") || isOp("-")) { var o = t[p++].v, r = term(); v = o === "+" ? v + r : v - r; }
      depth--; return v;
    }
    function term() {
      var v = unary();
      while (isOp("*") || isOp("/")) {
        var o = t[p++].v, r = unary();
        if (o === "/") { need(r !== 0, "division by zero"); v = v / r; } else { v = v * r; }
      }
      return v;
    }
    function unary() {
      enter();
      var v;
      if (isOp("-")) { p++; v = -unary(); } else if (isOp("+")) { p++; v = unary(); } else { v = power(); }
      depth--; return v;
    }
    function power() {
      var v = atom();
      if (isOp("**")) {
        p++;
        var e = unary();
        need(!(v < 0 && e !== Math.round(e)), "a negative number to a fractional power is not real");
        need(!(v === 0 && e < 0), "zero to a negative power is infinite");
        v = Math.pow(v, e);
      }
      return v;
    }
    function atom() {
      var tok = peek();
      need(tok !== undefined, "the formula ends too early");
      if (tok.k === "num") { p++; return tok.v; }
      if (isOp("(")) { p++; var v = expr(); need(isOp(")"), "a '(' was never closed"); p++; return v; }
      if (tok.k === "name") {
        p++;
        if (isOp("(")) {
          need(FUNCS.has(tok.v),
               "calling " + tok.v + " is not allowed; the functions are " + D.functions.join(", "));
          p++;
          var args = [expr()];
          while (isOp(",")) { p++; args.push(expr()); }
          need(isOp(")"), "a '(' was never closed"); p++;
          var f = FUNCS.get(tok.v);
          need(args.length === f[0],
               tok.v + " takes " + f[0] + " input" + (f[0] > 1 ? "s" : "") + ", got " + args.length);
          return f[1].apply(null, args);
        }
        need(names.has(tok.v), "no node named " + JSON.stringify(tok.v) + " in this graph");
        return names.get(tok.v);
      }
      throw new Error(JSON.stringify(tok.v) + " at column " + (tok.at + 1) + " is not allowed here");
    }
    var v = expr();
    if (p < t.length) {
      throw new Error("cannot read " + JSON.stringify(String(t[p].v)) + " at column " + (t[p].at + 1));
    }
    need(isFinite(v), "the value is not a finite number");
    return v;
  }

  var close = function (a, b) {
    return Math.abs(a - b) <= Math.max(D.rel * Math.max(Math.abs(a), Math.abs(b)), D.abs);
  };
  var fmt = function (x) {
    x = +x + 0;
    return (x === 0 || (Math.abs(x) >= 0.01 && Math.abs(x) < 1e6)) ? x.toFixed(5) : x.toPrecision(5);
  };
  var index = 0, tries = 0, right = 0, first = 0;
  var q = document.getElementById("question"), box = document.getElementById("answer");
  var fb = document.getElementById("feedback"), score = document.getElementById("score");

  function scoreText() {
    if (index === 0) { return "score: no question answered yet (of " + D.questions.length + ")"; }
    var rest = index < D.questions.length ? " (" + (D.questions.length - index) + " not asked)" : "";
    var firsts = right ? ", " + first + " at the first try" : "";
    return "score: " + right + " of " + index + " right" + firsts + rest;
  }
  function show() {
    var cur = D.questions[index];
    q.textContent = cur ? cur.context + "\n" + cur.ask : "the end";
    score.textContent = scoreText();
    box.disabled = !cur;
  }
  function say(cls, text) { fb.className = cls; fb.textContent = text; }
  function check() {
    var cur = D.questions[index];
    if (!cur) { say("invalid", "the quiz is over; " + scoreText()); return; }
    var v;
    try { v = evaluate(box.value); } catch (e) { say("invalid", "cannot read that: " + e.message); return; }
    if (close(v, cur.answer)) {
      right++; if (tries === 0) { first++; }
      say("right", "right: " + cur.solution);
    } else if (tries === 0) {
      tries = 1; say("hint", "not " + fmt(v) + "; hint: " + cur.hint); return;
    } else {
      var slip = cur.slips.find(function (s) { return close(v, s.value); });
      var why = slip ? " (" + slip.text + ")" : " (no usual slip gives that)";
      say("wrong", "not " + fmt(v) + why + "; " + cur.solution);
    }
    index++; tries = 0; box.value = ""; show();
  }
  document.getElementById("check").addEventListener("click", check);
  box.addEventListener("keydown", function (e) { if (e.key === "Enter") { check(); } });
  window.chainruleQuiz = { evaluate: evaluate };  // for tests: the page's own reader
  show();
})();
"""


__all__ = ["page", "write", "data", "script_json", "PAGE_FUNCTIONS"]
