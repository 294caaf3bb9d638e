"""tether.tools: the programs behind the ``tether`` command, usable from Python too.

* :mod:`tether.tools.loader` -- import a TARGET and find its declarative Bases and MetaData
* :mod:`tether.tools.check` -- configure the models and collect every problem
* :mod:`tether.tools.problems` -- the :class:`~tether.tools.problems.Problem` record
* :mod:`tether.tools.erd` -- entity-relationship diagrams (Mermaid, DOT, SVG, PNG)
* :mod:`tether.tools.diff` -- compare the models with a live database, apply what is additive

Nothing is imported here, so ``import tether`` stays light.
"""
