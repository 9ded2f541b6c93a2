//! termination-protection: the previous setting returned, a terminated cluster left alone.

use crate::common::*;
use crate::*;

#[tokio::test]
async fn termination_protection_returns_the_previous_setting() {
    // GIVEN a reused cluster that is already protected by its owner
    let fake = FakeEmr::new();
    fake.add_cluster("j-OWNED1", "WAITING");
    fake.update_cluster("j-OWNED1", |c| c.termination_protected = true);
    let handlers = handlers(&fake);
    // WHEN protection is turned on
    let on = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-OWNED1", "Protected": true}),
        )
        .await
        .unwrap();
    // THEN the previous value (true) is reported, so cleanup can restore it
    assert_eq!(
        on,
        json!({"ClusterId": "j-OWNED1", "Protected": true, "Previous": true})
    );
    // AND WHEN it is turned off THEN the previous value is true and EMR holds false
    let off = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-OWNED1", "Protected": false}),
        )
        .await
        .unwrap();
    assert_eq!(off["Previous"], true);
    assert!(!fake.cluster("j-OWNED1").description.termination_protected);
    // AND turning it on again reports false as previous
    let again = handlers
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-OWNED1", "Protected": true}),
        )
        .await
        .unwrap();
    assert_eq!(again["Previous"], false);
    assert!(fake.cluster("j-OWNED1").description.termination_protected);
}

#[tokio::test]
async fn unprotecting_a_terminated_cluster_is_a_no_op() {
    // GIVEN a cluster that already terminated (cleanup after it died)
    let fake = FakeEmr::new();
    fake.add_cluster("j-DEAD2", "TERMINATED");
    // WHEN protection is turned off
    let out = handlers(&fake)
        .invoke(
            Function::TerminationProtection,
            json!({"ClusterId": "j-DEAD2", "Protected": false}),
        )
        .await
        .unwrap();
    // THEN it succeeds without calling SetTerminationProtection
    assert_eq!(out["Previous"], false);
    assert!(fake.mutating_calls().is_empty());
}
