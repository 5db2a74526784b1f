"""surveytk's one restricted expression language, in three parts.

:mod:`~surveytk.language.tree` (the parsed tree and its canonical text),
:mod:`~surveytk.language.parser` (the recursive-descent parser over the tokens of
:mod:`surveytk.language.lexer`) and :mod:`~surveytk.language.evaluate` (evaluation on a
table, with missing values). :mod:`surveytk.language.expr` is the public face: conditions
and derived variables; :mod:`surveytk.models.formula_grammar` parses formulas with
the same parser. The grammar is in :mod:`surveytk.language.expr`'s docstring.
"""
