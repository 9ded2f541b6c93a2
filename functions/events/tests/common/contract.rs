//! The one contract every [`TokenStore`] keeps, run against the in-memory store and against
//! moto's DynamoDB.

use emrflow_events::waiter::now_epoch_seconds as now;
use emrflow_events::{TokenStore, Waiter};

use super::waiter;

/// What every token store does: one waiter per execution and cluster, a newer wait replaces
/// an older one, deletes only with the current token, expired records are not read.
pub async fn check_token_store_contract(store: &dyn TokenStore) {
    // GIVEN two executions waiting on one cluster and one on another
    let a1 = waiter("j-ONE", "run-a", "t-a1", &["s-A1", "s-A2"]);
    let b1 = waiter("j-ONE", "run-b", "t-b1", &[]);
    let c1 = waiter("j-TWO", "run-c", "t-c1", &["s-C1"]);
    for w in [&a1, &b1, &c1] {
        store.put(w).await.unwrap();
    }
    // WHEN the first cluster's waiters are read THEN exactly its two, whole
    assert_eq!(
        sorted(store.waiters_of("j-ONE").await.unwrap()),
        [a1.clone(), b1.clone()]
    );
    assert!(store.waiters_of("j-NONE").await.unwrap().is_empty());

    // WHEN run-a waits again (a newer token) THEN it replaces the older wait
    let a2 = waiter("j-ONE", "run-a", "t-a2", &["s-A2"]);
    store.put(&a2).await.unwrap();
    assert_eq!(
        sorted(store.waiters_of("j-ONE").await.unwrap()),
        [a2.clone(), b1.clone()]
    );

    // WHEN an old event deletes with the old token THEN nothing is deleted
    assert!(!store.delete("j-ONE", "run-a", "t-a1").await.unwrap());
    assert_eq!(
        sorted(store.waiters_of("j-ONE").await.unwrap()),
        [a2.clone(), b1.clone()]
    );
    // WHEN deleted with the current token THEN it is gone, and a second delete is harmless
    assert!(store.delete("j-ONE", "run-a", "t-a2").await.unwrap());
    assert_eq!(sorted(store.waiters_of("j-ONE").await.unwrap()), [b1]);
    assert!(!store.delete("j-ONE", "run-a", "t-a2").await.unwrap());
    assert!(!store.delete("j-NONE", "run-z", "t").await.unwrap());

    // WHEN a record has expired but is still stored (TTL deletes lazily) THEN it is not read
    let expired = Waiter {
        expires_at: now() - 5,
        ..waiter("j-TWO", "run-old", "t-old", &["s-C1"])
    };
    store.put(&expired).await.unwrap();
    assert_eq!(store.waiters_of("j-TWO").await.unwrap(), [c1]);
}

fn sorted(mut waiters: Vec<Waiter>) -> Vec<Waiter> {
    waiters.sort_by(|a, b| a.waiter.cmp(&b.waiter));
    waiters
}
