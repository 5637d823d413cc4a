//! The `rudder` command line. It parses flags, reads the environment, calls
//! `rudder-action` and prints results; it holds no domain logic.

fn main() {}
