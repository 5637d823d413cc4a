//! Values over a chart tree: dependency conditions, tags, import-values and coalescing, as Helm does before rendering.
