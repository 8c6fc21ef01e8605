"""Float64 NumPy reference of the vlmrt heads (SPEC.md sections 2-6)."""
