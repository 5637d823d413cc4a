//! Packages a chart directory: `cargo run -p rudder-chart --example package -- DIR [DEST]`.
//!
//! Handy for comparing with `helm package DIR -d DEST` (compare the decompressed tar
//! streams: `cmp <(gzip -dc a.tgz) <(gzip -dc b.tgz)`).

use rudder_chart::{PackageOptions, package};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: package DIR [DEST]");
        std::process::exit(2);
    };
    let dest = args.next().unwrap_or_else(|| ".".into());
    match package(&dir, &dest, &PackageOptions::default()) {
        Ok(path) => println!("{}", path.display()),
        Err(e) => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            eprintln!("Error: {msg}");
            std::process::exit(1);
        }
    }
}
