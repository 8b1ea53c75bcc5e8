"""A command's frozen configs, built once from its parsed flag values.

The command line (`srgan_tf/cli/main.py`) parses the flags; this turns them into the frozen
configs every mode receives (`config.Configs`), resolving the starting generator, the
post-processing and the inference precision once, by the rules of `modes/defaults.py`.
"""

import dataclasses


def make_configs(values: dict) -> tuple:
    """The frozen configs of a command, from its parsed flag values (`{flag: value}`), and
    the `defaults.Choice` naming the generator it starts from (the default rule runs here,
    once)."""
    from srgan_tf import config
    from srgan_tf.inference import precision
    from srgan_tf.modes import defaults, registry
    from srgan_tf.modes.registry import TRAINING_MODES, run_dir
    from srgan_tf.modes.trained_through import trained_through

    app_cfg = config.from_flags(config.AppConfig, values)
    infer = config.from_flags(config.InferenceConfig, values)
    data = config.from_flags(config.DataConfig, values)
    choice = defaults.default_generator(
        app_cfg.mode, app_cfg.checkpoint_dir, app_cfg.g_weights, data.protocol
    )
    if app_cfg.mode != "evaluate":
        app_cfg = dataclasses.replace(app_cfg, g_weights=choice.path)
    # The post-processing the generator of this command was trained through, if any
    # (evaluate, which may score several, gives each its own: modes/evaluate.py).
    gets_own = app_cfg.mode not in (*TRAINING_MODES, "evaluate") and app_cfg.g_weights
    trained = trained_through(app_cfg.g_weights) if gets_own else None
    # upscale and export post-process photographs (the paper protocol's downscaler); evaluate
    # and compare the LR of the evaluation's protocol.
    photo = registry.MODES[app_cfg.mode].pictures
    try:
        post = defaults.post_processing(
            app_cfg.mode, infer.self_ensemble, infer.back_projection, infer.detail_floor,
            trained, defaults.PHOTO_PROTOCOL if photo else data.protocol,
        )  # fmt: skip
    except ValueError:
        post = None  # a value out of range: the gate names it (modes/checks.py)
    infer = dataclasses.replace(
        infer, infer_precision=precision.resolve(infer.infer_precision, app_cfg.mode)
    )
    train = config.from_flags(
        config.TrainConfig,
        values,
        run_dir=str(run_dir(app_cfg.mode, app_cfg.checkpoint_dir, data.cls)),
        g_weights=choice.path if app_cfg.mode in TRAINING_MODES else "",
        n_trainable=values["n_trainable"] if app_cfg.mode == "specialize" else 0,
    )
    cfg = config.Configs(
        app=app_cfg,
        model=config.from_flags(config.ModelConfig, values),
        data=data,
        loss=config.from_flags(config.LossConfig, values),
        train=train,
        inference=infer,
        export=config.from_flags(config.ExportConfig, values),
        compare=config.from_flags(config.CompareConfig, values),
        distribute=config.from_flags(config.DistributeConfig, values),
        post=post,
    )
    return cfg, choice
