"""The independent oracles the port is held against, importable by tests and benchmarks alike.

- `tl_reference.py`: tensorlayer/srgan's model code (TensorLayer 2.2.5), as the study used it.
- `tlx_reference.py`: the same models in TensorLayerX.
- `frame_lookup.py`: both libraries' layers look up their caller's frame; this keeps them fast.
- `random_weights.py`: realistic random weights for either oracle, and He-scaled kernels.

Not part of `srgan_tf` and never imported by it: tensorlayer and tensorlayerx are test extras.
"""
