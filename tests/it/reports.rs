//! Reports people read: `--jq` as complete as jq for everyday filters (checked beside the
//! system jq on the same input), and filters that never end stopped cleanly.

use crate::common::Fixture;

/// A filter that recurses without end, or loops, ends the run with exit 2 and one line, and
/// leaves no `-o` temporary file or half-written output behind.
#[test]
fn endless_filters_end_cleanly() {
    let f = Fixture::new();
    let out = f.path("report.json");
    std::fs::write(&out, "yesterday\n").unwrap();
    let config = f.root_token("w", "");
    for (filter, says) in [
        ("def f: [f]; f", "recursed too deep"),
        ("def f: f; f", "still running after 2 s"),
        ("[range(1e15)] | length", "still running after 2 s"),
    ] {
        f.call(
            &config,
            &["--timeout", "2", "whm", "version", "--jq", filter, "-o"]
                .into_iter()
                .chain([out.to_str().unwrap()])
                .collect::<Vec<_>>(),
        )
        .assert_failure(2, says);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday\n");
        let left: Vec<_> = std::fs::read_dir(f.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".cpcall-") && n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{filter}: left {left:?}");
    }
}
