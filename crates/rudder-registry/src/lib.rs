//! OCI registry client for Helm charts.
//!
//! Owns: `oci://` references with Helm's rules ([`OciReference`]), Helm's manifest, config
//! and annotations ([`manifest`]), push and verified pull of chart archives
//! ([`RegistryClient`]), tag listing with Helm's ordering, and the Docker-style registry
//! `config.json` ([`RegistryConfig`]), and Helm 4's plugin artifacts ([`plugin`]).
//!
//! Runs one kind of program: the Docker credential helpers a config file names
//! ([`helper`]).
//!
//! Must not: print, read the environment, install anything, interpret semver constraints
//! (the caller passes a [`VersionMatcher`], to be backed by `rudder-semver`), or write charts
//! to disk (the content cache lives elsewhere). Classic index.yaml repositories, dependency
//! resolution and provenance verification are not here yet.

pub mod client;
pub mod credentials;
pub mod error;
pub mod helper;
pub mod manifest;
pub mod plugin;
pub mod reference;

pub use client::{
    ClientOptions, DEFAULT_MAX_LAYER_SIZE, PulledChart, PushChart, Pushed, RegistryClient,
    TlsOptions, VersionMatcher, sort_versions,
};
pub use credentials::{Auth, RegistryConfig};
pub use error::{CredentialsError, ReferenceError, RegistryError};
pub use helper::CredentialHelper;
pub use reference::{OciReference, tag_to_version, version_to_tag};
