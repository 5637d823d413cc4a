//! Test support (dev-dependency only).
