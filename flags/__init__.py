"""absl flag definitions and the study's experiment flagfiles."""
