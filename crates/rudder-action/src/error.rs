//! Errors of the operations.

use std::path::PathBuf;

/// Why an operation failed. Messages are one line and name the file, line, value path or
/// template involved (the wrapped errors carry those).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A chart could not be loaded.
    #[error(transparent)]
    Load(#[from] rudder_chart::LoadError),
    /// The user's values (`-f`, `--set…`) could not be assembled.
    #[error(transparent)]
    Values(#[from] rudder_values::options::OptionsError),
    /// A values file named with `-f` could not be read.
    #[error("cannot read values file {path}")]
    ReadValues {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Values could not be coalesced over the chart tree.
    #[error(transparent)]
    Prepare(#[from] rudder_chart::values_tree::PrepareError),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] rudder_render::RenderError),
    /// `--show-only` named a template that produced nothing.
    #[error("could not find template {0} in chart")]
    ShowOnlyNotFound(String),
    /// Packaging failed.
    #[error(transparent)]
    Package(#[from] rudder_chart::PackageError),
    /// Writing an output file failed.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Creating a chart scaffold failed.
    #[error(transparent)]
    Create(#[from] rudder_chart::scaffold::ScaffoldError),
}
