"""Scoring generators: the study's model-by-class matrix, metrics, figures.

- `metrics.py`: MSE, PSNR and SSIM (RGB and luma Y), the colour offset.
- `matrix.py`: every generator on every class against bicubic (the study's Figure 9).
- `compare.py`: LR, bicubic, SR and HR crops of one photograph side by side.
- `figures.py`: every figure the project draws.
"""

from srgan_tf.evaluation.matrix import (
    evaluate,
    find_generators,
    paper_table,
    summary_table,
    table_csv,
    trained_on,
)

__all__ = ["evaluate", "find_generators", "paper_table", "summary_table", "table_csv", "trained_on"]
