"""The old name of components/cached.py, kept only while components/heatmaps.py and
pages/present.py (rewritten on another branch) still import it: delete it once they import
`components.cached`. Nothing else may import this module."""

from components.cached import *  # noqa: F401,F403
