"""The tf.data pipelines (srgan_tf/data/pipeline.py): shapes, ranges, bicubic LR, augmentation, seeds."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from srgan_tf import data, protocols
from srgan_tf.config import DataConfig
from srgan_tf.data import datasets

CFG = DataConfig(crop_size=32, batch_size=4, seed=3)


def image_set(n=6, h=50, w=70, seed=0):
    rng = np.random.default_rng(seed)
    s = datasets.ImageSet()
    for i in range(n):
        s.add(f"img{i}.png", rng.integers(0, 256, (h + i, w, 3), dtype=np.uint8), keep=True)
    return s


def numpy_bicubic_x4(hr):
    """tf.image.resize bicubic x4 down, no antialias: half-pixel centres put every LR pixel at
    HR coordinate 4i + 1.5, whose Keys (a = -0.5) taps on pixels 4i..4i+3 are [-1, 9, 9, -1] / 16."""
    k = np.array([-1, 9, 9, -1], np.float64) / 16
    h, w, c = hr.shape
    blocks = hr.reshape(h // 4, 4, w // 4, 4, c).astype(np.float64)
    return np.einsum("aibjc,i,j->abc", blocks, k, k)


def test_batches_shapes_ranges_and_lr_is_bicubic_of_hr():
    ds = data.train_dataset(image_set(), CFG)
    batches = list(ds)
    assert len(batches) == 6 // 4 == data.steps_per_epoch(image_set(), CFG)
    lr, hr = batches[0]
    assert lr.shape == (4, 8, 8, 3) and hr.shape == (4, 32, 32, 3)
    assert lr.dtype == hr.dtype == tf.float32
    for i in range(4):
        np.testing.assert_allclose(lr[i].numpy(), numpy_bicubic_x4(hr[i].numpy()), atol=1e-5)


def test_augmentation_bounds_without_augmentation_is_a_plain_crop():
    plain = dataclasses.replace(CFG, flip=False, brightness_delta=0.0, contrast_upper=0.0)
    s = image_set(n=4)
    _, hr = next(iter(data.train_dataset(s, plain)))
    hr = hr.numpy()
    # Each patch is a crop of one of the images, scaled to [-1, 1].
    for patch in hr:
        u8 = np.round((patch + 1) * 127.5).astype(np.uint8)
        found = any(
            np.array_equal(s.get(k)[y : y + 32, x : x + 32], u8)
            for k in range(4)
            for y in range(s.sizes[k][0] - 31)
            for x in range(s.sizes[k][1] - 31)
        )
        assert found
    assert hr.min() >= -1 and hr.max() <= 1


def test_brightness_and_contrast_stay_within_their_bounds():
    """Brightness adds one delta in [-0.4, 0.4]; contrast scales deviations by [0.1, 0.4]."""
    flat = datasets.ImageSet()
    flat.add("flat.png", np.full((40, 40, 3), 128, np.uint8), keep=True)
    only_b = dataclasses.replace(CFG, flip=False, contrast_upper=0.0, batch_size=1)
    shifts = []
    for epoch in range(20):
        _, hr = next(iter(data.train_dataset(flat, only_b, epoch=epoch)))
        shifts.append(float(hr.numpy().mean()) - (128 / 127.5 - 1))
    assert max(np.abs(shifts)) <= 0.4 + 1e-6 and np.std(shifts) > 0.05
    only_c = dataclasses.replace(CFG, flip=False, brightness_delta=0.0, batch_size=1)
    s = image_set(n=1)
    for epoch in range(5):
        _, hr = next(iter(data.train_dataset(s, only_c, epoch=epoch)))
        plain_cfg = dataclasses.replace(only_c, contrast_upper=0.0)
        _, plain = next(iter(data.train_dataset(s, plain_cfg, epoch=epoch)))
        dev, dev0 = hr.numpy() - hr.numpy().mean((1, 2)), plain.numpy() - plain.numpy().mean((1, 2))
        ratio = np.linalg.norm(dev) / np.linalg.norm(dev0)
        assert 0.1 - 1e-4 <= ratio <= 0.4 + 1e-4


def test_unclipped_by_default_clipped_on_request():
    s = image_set(n=8, seed=1)
    wide = dataclasses.replace(CFG, contrast_lower=1.0, contrast_upper=1.0001, batch_size=8)
    _, hr = next(iter(data.train_dataset(s, wide)))
    assert hr.numpy().max() > 1.0 or hr.numpy().min() < -1.0  # brightness pushes past the range
    _, hr = next(iter(data.train_dataset(s, dataclasses.replace(wide, clip_augmented=True))))
    assert hr.numpy().max() <= 1.0 and hr.numpy().min() >= -1.0


def test_same_seed_same_batches_other_seed_or_epoch_differs():
    s = image_set()

    def first(cfg, epoch=0):
        return next(iter(data.train_dataset(s, cfg, epoch)))[1].numpy()

    np.testing.assert_array_equal(first(CFG), first(CFG))
    assert not np.array_equal(first(CFG), first(dataclasses.replace(CFG, seed=4)))
    assert not np.array_equal(first(CFG), first(CFG, epoch=1))


def test_patches_per_image_multiplies_the_epoch():
    s = image_set(n=3)
    assert len(list(data.train_dataset(s, CFG, patches_per_image=4))) == 3


@pytest.mark.parametrize("eval_crop", [0, 24])
def test_eval_pairs_are_deterministic_and_trimmed(eval_crop):
    s = image_set(n=2, h=41, w=58)
    a = list(data.eval_pairs(s, CFG, eval_crop))
    b = list(data.eval_pairs(s, CFG, eval_crop))
    for (_, lr1, hr1), (_, lr2, hr2) in zip(a, b):
        np.testing.assert_array_equal(hr1, hr2)
        np.testing.assert_array_equal(lr1, lr2)
        assert hr1.shape[0] % 4 == 0 and hr1.shape[1] % 4 == 0
        if eval_crop:
            assert hr1.shape[:2] == (24, 24)
        np.testing.assert_allclose(lr1, numpy_bicubic_x4(hr1), atol=1e-5)


def test_channel_shuffle_reorders_hr_and_lr_together_and_leaves_the_default_alone():
    one = datasets.ImageSet()
    one.add("c.png", np.broadcast_to(np.uint8([10, 100, 200]), (40, 40, 3)).copy(), keep=True)
    base = dataclasses.replace(
        CFG, flip=False, brightness_delta=0.0, contrast_upper=0.0, batch_size=1
    )
    shuffled = dataclasses.replace(base, channel_shuffle=True)
    orders = set()
    for epoch in range(12):
        lr, hr = next(iter(data.train_dataset(one, shuffled, epoch=epoch)))
        colour = np.round((hr.numpy()[0, 0, 0] + 1) * 127.5).astype(int)
        assert sorted(colour) == [10, 100, 200]
        np.testing.assert_allclose(lr.numpy()[0, 0, 0], hr.numpy()[0, 0, 0], atol=1e-5)
        orders.add(tuple(colour))
    assert len(orders) >= 3
    # On grey images the shuffle is invisible: crops, flips and brightness draw the same
    # numbers with and without it, so the default pipeline's batches are those of before.
    grey = datasets.ImageSet()
    for k, img in enumerate(image_set().get(i) for i in range(6)):
        grey.add(f"g{k}.png", np.repeat(img[..., :1], 3, axis=-1), keep=True)
    a = next(iter(data.train_dataset(grey, CFG)))[1].numpy()
    b = next(iter(data.train_dataset(grey, dataclasses.replace(CFG, channel_shuffle=True))))[1]
    np.testing.assert_array_equal(a, b.numpy())


def test_rot90_gives_every_symmetry_of_the_crop_and_leaves_the_default_alone():
    """Each patch is one of the 8 rotations/reflections of a crop; all of them occur."""
    s = image_set(n=4)
    plain = dataclasses.replace(CFG, brightness_delta=0.0, contrast_upper=0.0)
    turned = dataclasses.replace(plain, rot90=True)
    seen = set()
    for epoch in range(6):
        a = next(iter(data.train_dataset(s, plain, epoch=epoch)))[1].numpy()
        b = next(iter(data.train_dataset(s, turned, epoch=epoch)))[1].numpy()
        for pa, pb in zip(a, b):  # same crop and flip as without rot90, then a quarter turn
            turns = [k for k in range(4) if np.array_equal(np.rot90(pa, k), pb)]
            assert len(turns) == 1
            seen.add(turns[0])
    assert seen == {0, 1, 2, 3}
    # Off by default: the batches are those of before.
    ref = next(iter(data.train_dataset(s, CFG)))[1].numpy()
    again = next(iter(data.train_dataset(s, dataclasses.replace(CFG, rot90=False))))[1].numpy()
    np.testing.assert_array_equal(ref, again)


def test_min_and_max_scale_resize_squares_by_factors_in_range():
    """On a horizontal ramp (value = column), a patch shrunk by s has slope 1/s per pixel."""
    ramp = datasets.ImageSet()
    cols = np.arange(200, dtype=np.float64)
    ramp.add("ramp.png", np.repeat(np.uint8(cols)[None, :, None], 3, 2).repeat(160, 0), keep=True)
    cfg = dataclasses.replace(
        CFG, flip=False, brightness_delta=0.0, contrast_upper=0.0, batch_size=1, min_scale=0.5
    )

    def slopes(config, epochs):
        """The ramp's slope (gray levels per pixel) in each epoch's patch."""
        found = []
        for epoch in range(epochs):
            hr = next(iter(data.train_dataset(ramp, config, epoch=epoch)))[1].numpy()[0, :, :, 0]
            u8 = (hr + 1) * 127.5
            assert np.allclose(u8, u8[:1], atol=0.5)  # rows stay equal: no vertical change
            found.append(np.polyfit(np.arange(8, 24), u8[16, 8:24], 1)[0])  # away from borders
        return found

    shrunk = slopes(cfg, 16)
    assert 1 - 0.05 <= min(shrunk) and max(shrunk) <= 2 + 0.05, shrunk
    assert max(shrunk) - min(shrunk) > 0.3  # the factor is drawn, not fixed
    # With max_scale, patches are also enlarged from smaller squares: slopes down to 1/2.
    both = slopes(dataclasses.replace(cfg, max_scale=2.0), 24)
    assert 0.5 - 0.05 <= min(both) < 0.9 and 1.1 < max(both) <= 2 + 0.05, both
    # min_scale=1 (the default) is a plain crop: slope exactly 1.
    hr = next(iter(data.train_dataset(ramp, dataclasses.replace(cfg, min_scale=1.0))))[1]
    np.testing.assert_allclose(np.diff((hr.numpy()[0, 0, :, 0] + 1) * 127.5), 1.0, atol=1e-3)


def test_paper_protocol_lr_is_matlab_imresize_quantised():
    """The paper protocol's LR against an independent numpy port of MATLAB's imresize, on
    scikit-image photos of sizes that are multiples of 4 in neither direction first."""
    from matlab_imresize import imresize_down
    from skimage import data as skdata

    for photo in (skdata.astronaut(), skdata.coffee(), skdata.chelsea()):
        h, w = photo.shape[:2]
        hr = photo[: h - h % 4, : w - w % 4]
        ref = np.clip(np.round(imresize_down(hr, 4)), 0, 255)
        lr = data.eval_pair(photo, dataclasses.replace(CFG, protocol="paper"))[0]
        ours = np.round((lr + 1) * 127.5)
        assert ours.shape == ref.shape
        # Float32 against float64: a value within 1e-4 of a rounding boundary may round the
        # other way; nothing else may differ.
        diff = np.abs(ours - ref)
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
        unrounded = (
            protocols.matlab_downscale(tf.constant(hr / 127.5 - 1, tf.float32), 4) + 1
        ) * 127.5
        np.testing.assert_allclose(unrounded.numpy(), imresize_down(hr, 4), atol=2e-3)


def test_study_protocol_is_the_plain_bicubic_and_paper_differs():
    rgb = np.random.default_rng(1).integers(0, 256, (48, 40, 3), dtype=np.uint8)
    lr_study, hr = data.eval_pair(rgb, CFG)
    np.testing.assert_allclose(lr_study, numpy_bicubic_x4(hr), atol=1e-5)
    lr_paper, _ = data.eval_pair(rgb, dataclasses.replace(CFG, protocol="paper"))
    assert np.abs(lr_paper - lr_study).max() > 0.05
    # quantised: every value is on the uint8 grid
    np.testing.assert_allclose((lr_paper + 1) * 127.5, np.round((lr_paper + 1) * 127.5), atol=1e-4)


def _training_lr_kinds(**kw):
    """Which degradation made each training LR patch: study, paper or neither."""
    cfg = dataclasses.replace(
        CFG, flip=False, brightness_delta=0.0, contrast_upper=0.0, train_lr="mixed", batch_size=2
    )
    kinds = []
    for lr, hr in data.train_dataset(image_set(n=12, h=64, w=64), dataclasses.replace(cfg, **kw)):
        for a, b in zip(lr.numpy(), hr.numpy()):
            study = protocols.degrade(tf.constant(b), 4, "study").numpy()
            paper = protocols.degrade(tf.constant(b), 4, "paper").numpy()
            if np.allclose(a, study, atol=1e-5):
                kinds.append("study")
            elif np.allclose(a, paper, atol=1e-5):
                kinds.append("paper")
            else:
                kinds.append("neither")
    return kinds


def test_mixed_training_lr_uses_both_degradations_per_patch():
    kinds = _training_lr_kinds()
    assert "neither" not in kinds
    assert {"study", "paper"} <= set(kinds)
    # --paper_share sets the proportion; at the ends every patch is one kind.
    assert set(_training_lr_kinds(paper_share=0.0)) == {"study"}
    assert set(_training_lr_kinds(paper_share=1.0)) == {"paper"}


def _solid_patches(colours, size=40):
    s = datasets.ImageSet()
    for k, c in enumerate(colours):
        s.add(f"c{k}.png", np.broadcast_to(np.uint8(c), (size, size, 3)).copy(), keep=True)
    return s


def test_colour_jitter_scales_saturation_rotates_hue_and_lr_follows_hr():
    """Checked against scikit-image's HSV conversion: the saturation factor stays in its range,
    about the asked share of patches changes hue, and the LR is made from the jittered HR."""
    from skimage.color import rgb2hsv

    colour = (200, 120, 90)  # a muted orange: saturation 0.55, room to go up and down
    patches = _solid_patches([colour] * 64)
    base = dataclasses.replace(
        CFG, flip=False, brightness_delta=0.0, contrast_upper=0.0, batch_size=64
    )
    jitter = dataclasses.replace(base, saturation_min=0.6, saturation_max=1.6, hue_jitter=0.5)
    lr, hr = next(iter(data.train_dataset(patches, jitter)))
    hsv_in = rgb2hsv(np.float64([[colour]]) / 255)[0, 0]
    hsv = rgb2hsv((hr.numpy()[:, 0, 0] + 1) / 2)
    ratio = hsv[:, 1] / hsv_in[1]
    unclipped = hsv[:, 1] < 0.999
    assert ratio[unclipped].min() >= 0.6 - 1e-3 and ratio[unclipped].max() <= 1.6 + 1e-3
    assert ratio.max() - ratio.min() > 0.5  # spread over the range
    hue_moved = np.abs((hsv[:, 0] - hsv_in[0] + 0.5) % 1 - 0.5) > 0.01
    assert 16 <= hue_moved.sum() <= 48  # about half of 64
    for i in range(4):
        np.testing.assert_allclose(lr[i].numpy(), numpy_bicubic_x4(hr[i].numpy()), atol=1e-5)


def test_colour_jitter_off_by_default_leaves_the_batches_as_they_were():
    plain = next(iter(data.train_dataset(image_set(), CFG)))[1].numpy()
    explicit = dataclasses.replace(CFG, saturation_min=1.0, saturation_max=1.0, hue_jitter=0.0)
    np.testing.assert_array_equal(
        plain, next(iter(data.train_dataset(image_set(), explicit)))[1].numpy()
    )
    jittered = dataclasses.replace(CFG, saturation_min=0.5, saturation_max=2.0)
    assert not np.array_equal(
        plain, next(iter(data.train_dataset(image_set(), jittered)))[1].numpy()
    )


def test_defocus_blurs_the_asked_share_by_a_gaussian_in_range_and_lr_follows_hr():
    """Checked against scipy's Gaussian filter (mirror edges): every blurred patch is the filter
    of its input for one sigma in [0, blur_sigma_max], about the asked share is blurred, the
    rest is returned bit-exact, and the LR is made from the blurred HR."""
    from scipy import ndimage, optimize

    size, sigma_max = 32, 2.5
    rng = np.random.default_rng(7)
    s = datasets.ImageSet()
    for k in range(64):  # images of the crop's size: the crop is the whole image
        s.add(f"n{k}.png", rng.integers(0, 256, (size, size, 3), dtype=np.uint8), keep=True)
    base = dataclasses.replace(CFG, flip=False, brightness_delta=0.0, contrast_upper=0.0,
                               batch_size=64, crop_size=size)  # fmt: skip
    blur = dataclasses.replace(base, blur_share=0.5, blur_sigma_max=sigma_max)
    plain = next(iter(data.train_dataset(s, base)))[1].numpy()
    lr, hr = (t.numpy() for t in next(iter(data.train_dataset(s, blur))))
    radius = int(np.ceil(3 * sigma_max))

    def filtered(x, sigma):
        return np.stack([ndimage.gaussian_filter(x[..., c], sigma, mode="mirror",
                                                 truncate=radius / sigma) for c in range(3)], -1)  # fmt: skip

    blurred = 0
    for inp, out in zip(plain, hr):
        if np.array_equal(inp, out):
            continue
        blurred += 1

        def err(g, inp=inp, out=out):
            return np.abs(filtered(inp, g) - out).max()

        grid = np.linspace(0.05, sigma_max, 50)  # coarse first: the error has local minima
        near = grid[np.argmin([err(g) for g in grid])]
        fit = optimize.minimize_scalar(err, bounds=(near - 0.05, min(near + 0.05, sigma_max)),
                                       method="bounded")  # fmt: skip
        assert fit.fun < 1e-4, fit
        assert np.std(out) < np.std(inp)
    assert 16 <= blurred <= 48  # about half of 64
    for i in range(4):
        np.testing.assert_allclose(lr[i], numpy_bicubic_x4(hr[i]), atol=1e-5)
    # Off by default: the default batches are unchanged.
    off = dataclasses.replace(base, blur_share=0.0)
    np.testing.assert_array_equal(plain, next(iter(data.train_dataset(s, off)))[1].numpy())
