"""Training input pipeline throughput vs. what the generator's training step consumes.

Generates DIV2K-sized images (about 2040x1400, smooth random content, saved as PNG), splits
them like a real run, then measures HR/LR patch pairs per second of `data.train_dataset` and,
on the same machine, patches per second of the project's real init training step. The
pipeline must deliver at least 10 times what training consumes.

    python bench/data_throughput.py [--n_images=16 --batch_size=8 --crop_size=384]

The last line is one JSON object.
"""

import tempfile
import time
from pathlib import Path

import common
import numpy as np


def make_images(folder, n, rng):
    from srgan_tf.data import images

    for i in range(n):
        h, w = 1400 + int(rng.integers(-60, 60)), 2040
        small = rng.integers(0, 256, (h // 16 + 1, w // 16 + 1, 3)).astype(np.float32)
        big = np.kron(small, np.ones((16, 16, 1)))[:h, :w]  # blocky, PNG-compressible content
        noise = rng.normal(0, 6, big.shape)
        images.write_image(folder / f"{i:04d}.png", np.clip(big + noise, 0, 255).astype(np.uint8))


def main(argv=None):
    ap = common.parser(__doc__)
    ap.add_argument("--n_images", type=int, default=16, help="DIV2K-sized images to generate")
    ap.add_argument("--batch_size", type=int, default=8, help="batch size (the study's 8)")
    ap.add_argument("--crop_size", type=int, default=384, help="HR patch side")
    ap.add_argument("--epochs", type=int, default=3, help="pipeline epochs to time")
    ap.add_argument("--train_steps", type=int, default=3, help="timed steps after one warm-up")
    args = ap.parse_args(argv)
    from srgan_tf import data, training
    from srgan_tf.config import DataConfig, LossConfig, ModelConfig, TrainConfig
    from srgan_tf.data import datasets

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "DIV2K_like"
        make_images(folder, args.n_images, rng)
        cfg = DataConfig(
            crop_size=args.crop_size,
            batch_size=args.batch_size,
            n_images=0,
            n_test=0,
            n_test_general=0,
        )
        t0 = time.perf_counter()
        split = datasets.make_split(folder, "", cfg)
        scan_s = time.perf_counter() - t0

        next(iter(data.train_dataset(split.train, cfg, epoch=99)))  # warm-up (tracing)
        n = 0
        t0 = time.perf_counter()
        for epoch in range(args.epochs):
            for lr, _ in data.train_dataset(split.train, cfg, epoch=epoch, patches_per_image=4):
                n += int(lr.shape[0])
        pipe_rate = n / (time.perf_counter() - t0)

        run = TrainConfig(run_dir=str(Path(tmp) / "run"))
        trainer = training.Trainer(
            ["init"], ModelConfig(), cfg, LossConfig(), run, split, log=lambda *_: None
        )
        batches = iter(data.train_dataset(split.train, cfg, epoch=0, patches_per_image=4))
        step = trainer.step_function("init")
        step(next(batches))  # warm-up (tracing)
        t0 = time.perf_counter()
        for _ in range(args.train_steps):
            step(next(batches))
        train_rate = args.train_steps * args.batch_size / (time.perf_counter() - t0)

    ratio = pipe_rate / train_rate
    print(f"decode+split of {args.n_images} DIV2K-sized PNGs: {scan_s:.1f} s")
    print(
        f"input pipeline: {pipe_rate:.1f} patch pairs/s; init training step: {train_rate:.2f} patches/s"
    )
    print(
        f"pipeline / training = {ratio:.1f}x (target >= 10x): {'OK' if ratio >= 10 else 'BELOW TARGET'}"
    )
    result = {
        "pipeline_patches_per_s": round(pipe_rate, 2),
        "train_patches_per_s": round(train_rate, 3),
        "ratio": round(ratio, 1),
        "crop_size": args.crop_size,
        "batch_size": args.batch_size,
    }
    common.report(result, args.save)


if __name__ == "__main__":
    main()
