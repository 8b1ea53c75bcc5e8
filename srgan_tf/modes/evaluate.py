"""`--mode=evaluate`: every generator on every set, against bicubic, under one protocol."""

import dataclasses
import json
import sys
from pathlib import Path

from srgan_tf import atomic, evaluation, pretrained, protocols
from srgan_tf.config import Configs, DataConfig, ModelConfig, to_dict
from srgan_tf.data import datasets, sample_data
from srgan_tf.errors import ConfigError
from srgan_tf.modes.registry import MODES
from srgan_tf.modes.trained_through import mismatch, trained_through


def evaluation_sets(data: DataConfig) -> dict:
    """`{row name: ImageSet}`: each class of each `--data_dir` folder (comma-separated). A flat
    folder of unclassed images (a benchmark set, a corpus split) is one row named after it."""
    roots = [Path(p) for p in data.data_dir.split(",") if p] or [sample_data.data_root(data)]
    sets = {}
    for root in roots:
        classes, _ = datasets.discover(root)
        names = datasets.select_classes(classes, data.cls, root) if data.cls else sorted(classes)
        flat = names == [datasets.GENERAL] and all(p.parent == root for p in classes[names[0]])
        for c in names:
            label = root.name if flat else c
            if label in sets:
                label = f"{root.name}/{c}"
            sets[label] = datasets.make_split(root, c, data, with_train=False).test
    return sets


def run(cfg: Configs) -> None:
    app, data, model = cfg.app, cfg.data, cfg.model
    named = [pretrained.resolve(p) for p in app.g_weights.split(",") if p]
    # Without --g_weights: every run folder of --checkpoint_dir, and the shipped generators
    # when the model is their size (a run of another size is evaluated with its own).
    theirs = (model.n_res_blocks, model.filters) == (
        ModelConfig().n_res_blocks,
        ModelConfig().filters,
    )
    shipped = [str(pretrained.path(n)) for n in pretrained.available()]
    shipped = shipped if not named and theirs else []
    generators = evaluation.find_generators(app.checkpoint_dir, shipped + named)
    if not generators:
        raise ConfigError(
            f"no generators to evaluate: none in {app.checkpoint_dir}/*/g.weights.h5 and no "
            f"--g_weights"
        )
    # A generator trained through post-processing gets its own extra row when no steps or gate
    # are asked (its raw row stays: the generator as it is); asked otherwise, it is warned about.
    post = cfg.post
    own_post = {}
    for name, path in generators.items():
        trained = trained_through(path)
        if trained is not None and not post.has_stages:
            own_post[name] = dataclasses.replace(
                post, back_projection=trained.back_projection, detail_floor=trained.detail_floor
            )
        elif warning := mismatch(path, post):
            print(warning, file=sys.stderr)
    test_sets = evaluation_sets(data)
    out = MODES["evaluate"].output_dir(app.output)
    out.mkdir(parents=True, exist_ok=True)
    described = {"generators": {k: str(v) for k, v in generators.items()},
                 "protocol": data.protocol, "precision": cfg.inference.infer_precision,
                 "data": to_dict(data), "model": to_dict(model),
                 "post_processing": {**post.to_dict(),
                                     "own": {k: v.to_dict() for k, v in own_post.items()}}}  # fmt: skip
    atomic.write_text(out / "config.json", json.dumps(described, indent=1))
    print(
        f"Evaluating {', '.join(generators)} (+ bicubic) on {', '.join(test_sets)}; protocol "
        f"{data.protocol!r}: {protocols.DESCRIPTIONS[data.protocol]}"
    )
    evaluation.evaluate(
        generators, test_sets, data, model, out, app.tile, progress=app.progress, post=post,
        own_post=own_post, precision=cfg.inference.infer_precision,
    )  # fmt: skip
    print(f"Matrices, heatmaps, best_worst.png and SR images in {out}")
