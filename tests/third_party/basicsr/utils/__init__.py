from .color_util import bgr2ycbcr  # noqa: F401  (the one name metric_util imports)
