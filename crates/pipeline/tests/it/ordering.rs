//! Add and remove of the same identifiers, pending together in any order and sent in any
//! interleaving: Pinterest ends in the state of the later step (property test against the
//! sandbox's true membership).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;

use crate::support::{Harness, email_digest};

#[derive(Debug, Clone)]
struct Op {
    user: u32,
    add: bool,
    run_after: bool,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (0..4_u32, any::<bool>(), prop::bool::weighted(0.3)).prop_map(|(user, add, run_after)| {
            Op {
                user,
                add,
                run_after,
            }
        }),
        1..12,
    )
}

async fn check(ops: Vec<Op>) {
    let app = Harness::start().await;
    let (audience, list) = app.audience("order").await;
    let add = app.canvas(&audience, "add").await;
    let remove = app.canvas(&audience, "remove").await;
    let mut last: BTreeMap<u32, bool> = BTreeMap::new();
    for op in &ops {
        let canvas = if op.add { add } else { remove };
        app.enter(canvas, [op.user]).await;
        last.insert(op.user, op.add);
        app.advance(Duration::from_millis(10));
        if op.run_after {
            app.advance(Duration::from_secs(5));
            app.run_once().await;
        }
    }
    app.drain(Duration::from_secs(5), 10).await;
    let expected: BTreeSet<String> = last
        .iter()
        .filter(|(_, added)| **added)
        .map(|(user, _)| email_digest(*user))
        .collect();
    assert_eq!(app.members(&list), expected, "ops: {ops:?}");
    let (adds, removes) = (app.step_counts(add).await, app.step_counts(remove).await);
    assert_eq!(adds.entered, adds.synced);
    assert_eq!(removes.entered, removes.synced);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn pinterest_ends_in_the_state_of_the_later_step(ops in ops()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(check(ops));
    }
}
