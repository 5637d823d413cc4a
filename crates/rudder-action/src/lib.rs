//! Rudder's operations. The only crate that composes the others. Never prints.
