//! The department's audit log and the administrator role reach PostgreSQL: every administrator
//! action is one `admin_audit` row, and `lecturers.admin` follows the role.

use attendance::model::Actor;

use super::{Setup, fixture};
use crate::fixtures::username;

#[tokio::test]
async fn administrator_actions_are_mirrored_into_admin_audit() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let store = &setup.fs.store;
    let office = Actor::Administrator(username("jkamau"));
    store.set_lecturer_admin(&username("jkamau"), true, &Actor::CommandLine).await.expect("admin");
    store.set_lecturer_active(&username("potieno"), false, &office).await.expect("disable");
    let potieno = store.lecturer(&username("potieno")).await.expect("read").expect("potieno");
    let ma201 = attendance::domain::UnitCode::parse("MA201").expect("code");
    store
        .reassign_unit(
            &ma201,
            &store.lecturer(&username("jkamau")).await.expect("read").expect("jkamau"),
            &office,
        )
        .await
        .expect("reassign");
    assert!(!potieno.admin);

    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    // Two accounts created and one role granted on the command line, then two actions on /admin/.
    assert_eq!(setup.count("SELECT count(*) FROM admin_audit").await, 5);
    assert_eq!(
        setup
            .count(
                "SELECT count(*) FROM admin_audit WHERE actor = 'jkamau' AND action IN ('lecturer_disabled', 'unit_reassigned')
                 AND target IN ('potieno', 'MA201')"
            )
            .await,
        2
    );
    assert_eq!(
        setup.count("SELECT count(*) FROM admin_audit WHERE detail = 'from potieno to jkamau'").await,
        1
    );
    assert_eq!(setup.count("SELECT count(*) FROM lecturers WHERE admin").await, 1);
    assert_eq!(
        setup.count("SELECT count(*) FROM sessions WHERE unit_code = 'MA201' AND lecturer = 'jkamau'").await,
        1
    );
    super::assert_mirror_equals_firestore(&setup).await;
    // Nothing new: a second run writes no audit row.
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(setup.count("SELECT count(*) FROM admin_audit").await, 5);
}
