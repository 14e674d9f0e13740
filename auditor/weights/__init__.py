"""Weight files: bounded header readers, a static pickle scanner, Keras configs, lineage.

The entry point is `auditor.weights.inspect.inspect_weight_file`.
"""
