"""Tests of the Rust replay core binding, ``botoflowx._replay``."""
