"""Draws docs/validation_photo_run.png: the photo-corpus demo run's whole validation history.

The run changed what it validated on the way (checkpoints/README.md says when and why), so one
curve per definition: the paper protocol's gain on 768-pixel centre crops first, then each
protocol's gain on whole images. Vertical lines mark the restarts, the red dot the shipped step.

Usage: python docs/plot_photo_run.py RUN_DIR --shipped=STEP --restarts=STEP,STEP,...
"""

import argparse
from pathlib import Path

from srgan_tf.training.history import read_csv
from srgan_tf.training.plots import plt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="the run folder (its history_steps.csv)")
    parser.add_argument("--shipped", type=int, required=True, help="the shipped step")
    parser.add_argument("--restarts", default="", help="steps where the run was restarted")
    parser.add_argument("--whole_from", type=int, required=True, help="first whole-image step")
    parser.add_argument("--out", default=str(Path(__file__).parent / "validation_photo_run.png"))
    args = parser.parse_args()
    rows = [
        r for r in read_csv(Path(args.run_dir) / "history_steps.csv") if r.get("val_psnr_y_gain")
    ]
    crops = [r for r in rows if int(r["step"]) < args.whole_from]
    whole = {int(r["step"]): r for r in rows if int(r["step"]) >= args.whole_from}  # last wins
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(
        [int(r["step"]) for r in crops],
        [float(r["val_psnr_y_gain"]) for r in crops],
        color="tab:blue", ls=":", label="paper protocol, 768-px centre crops",
    )  # fmt: skip
    steps = sorted(whole)
    for key, colour, label in (
        ("val_paper_psnr_y_gain", "tab:blue", "paper protocol, whole images"),
        ("val_study_psnr_y_gain", "tab:orange", "study protocol, whole images"),
    ):
        ax.plot(steps, [float(whole[s][key]) for s in steps], color=colour, label=label)
    for step in [int(s) for s in args.restarts.split(",") if s]:
        ax.axvline(step, color="grey", lw=0.8, ls="--")
    shipped = whole[args.shipped]
    for key in ("val_paper_psnr_y_gain", "val_study_psnr_y_gain"):
        ax.plot([args.shipped], [float(shipped[key])], "o", color="tab:red")
    ax.plot([], [], "o", color="tab:red", label=f"shipped: step {args.shipped}")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set(xlabel="step", ylabel="PSNR-Y gain over bicubic (dB)")
    ax.set_title("Photo-corpus run: validation (4 photographs); dashed lines: restarts")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(args.out)


if __name__ == "__main__":
    main()
