//! Invocation latency of a trivial plugin (`hello`): cold (compile), warm (compiled module read
//! from the on-disk cache by a fresh host) and hot (repeated calls of a loaded plugin).
//!
//! Run with `cargo bench -p rudder-plugin --bench invoke`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use rudder_plugin::messages::CliInput;
use rudder_plugin::{CallIo, HostOptions, Message, ModuleSource, PluginHost};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    support::wasm_dir();
    let cache = tempfile::tempdir().expect("cache dir");
    let options = HostOptions {
        cache_dir: Some(cache.path().to_path_buf()),
    };
    let message = Message::Cli(CliInput {
        extra_args: vec!["bench".into()],
    });
    let call = |host: &PluginHost| {
        let started = Instant::now();
        let plugin = support::example(host, "hello");
        let source = plugin.module_source();
        plugin
            .invoke(&message, CallIo::default())
            .expect("hello runs");
        (started.elapsed(), source, plugin)
    };

    let host = PluginHost::new(options.clone()).expect("host");
    let (cold, source, _) = call(&host);
    assert_eq!(source, ModuleSource::Compiled);

    let mut warm = Vec::new();
    for _ in 0..5 {
        let host = PluginHost::new(options.clone()).expect("host");
        let (elapsed, source, _) = call(&host);
        assert_eq!(source, ModuleSource::Cache);
        warm.push(elapsed);
    }

    let (_, _, plugin) = call(&host);
    let mut hot = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        plugin
            .invoke(&message, CallIo::default())
            .expect("hello runs");
        hot.push(started.elapsed());
    }
    let (warm, hot) = (median(warm), median(hot));
    println!("hello (cli/v1) invocation, load + call:");
    println!("  cold (compile + call):           {cold:?}");
    println!("  warm (cache load + call, median): {warm:?}");
    println!("  hot  (call only, median of 20):   {hot:?}");
    assert!(warm < cold, "loading from the cache must beat compiling");
}
