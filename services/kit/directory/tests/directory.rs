//! The directory's typed reads (`breakroom_directory::read`) over a replica seeded in SQL:
//! the rules services rely on (audiences, first memberships, who covers a department,
//! zones) hold without any service around them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use breakroom_directory::{Audience, Role, UserState, read};
use breakroom_testing::TestEnv;
use sqlx::PgPool;

/// Two stores in two regions (one with a department), an HQ admin, a whole-store
/// manager, a department employee, an invited employee, an offboarded one, and a person
/// in another tenant.
async fn seeded() -> (TestEnv, PgPool) {
    let env = TestEnv::new().await;
    let infra = env
        .infra("directory", Some(&breakroom_directory::MIGRATOR))
        .await;
    let pool = infra.pool.clone();
    for statement in [
        "INSERT INTO kit_directory_tenants VALUES ('t', 'Chain', 'Europe/Amsterdam', 'nl'), \
           ('other', 'Other', 'UTC', 'en')",
        "INSERT INTO kit_directory_stores (tenant, id, display_name, store_code, region, time_zone) \
           VALUES ('t', 's1', 'One', 'ams-1', 'north', 'Europe/Amsterdam'), \
                  ('t', 's2', 'Two', 'lis-2', 'south', 'Europe/Lisbon'), \
                  ('other', 's1', 'Theirs', 'x-1', 'north', 'UTC')",
        "INSERT INTO kit_directory_departments VALUES ('t', 's1', 'fresh', 'Fresh'), \
           ('t', 's1', 'bakery', 'Bakery')",
        "INSERT INTO kit_directory_users (tenant, id, display_name, email, phone, state, invite_time) \
           VALUES ('t', 'admin', 'Ada', 'ada@example.com', '', 'active', now()), \
                  ('t', 'boss', 'Bo', 'BO@example.com', '', 'active', now()), \
                  ('t', 'fresh', 'Fay', 'fay@example.com', '', 'active', now()), \
                  ('t', 'new', 'Nina', 'nina@example.com', '', 'invited', now()), \
                  ('t', 'gone', 'Gus', 'gus@example.com', '', 'deactivated', now()), \
                  ('other', 'them', 'Theo', 'fay@example.com', '', 'active', now())",
        "INSERT INTO kit_directory_memberships VALUES \
           ('t', 'admin', '', '', 'hq_admin'), \
           ('t', 'boss', 's1', '', 'store_manager'), ('t', 'boss', 's2', '', 'employee'), \
           ('t', 'fresh', 's1', 'fresh', 'employee'), \
           ('t', 'new', 's2', '', 'employee'), \
           ('t', 'gone', 's1', 'fresh', 'employee'), \
           ('other', 'them', 's1', '', 'employee')",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    (env, pool)
}

fn ids(readers: &[breakroom_directory::Reader]) -> Vec<&str> {
    readers.iter().map(|r| r.user.as_str()).collect()
}

#[tokio::test]
async fn an_audience_holds_the_people_matching_every_list_not_offboarded_nor_the_author() {
    let (_env, pool) = seeded().await;
    let everyone = read::audience(&pool, "t", &Audience::default(), "fresh")
        .await
        .unwrap();
    assert_eq!(ids(&everyone), ["admin", "boss", "new"]);
    let boss = &everyone[1];
    assert_eq!(
        (boss.store.as_str(), boss.role, boss.display_name.as_str()),
        ("s1", Some(Role::StoreManager), "Bo"),
        "the first membership by store, then role"
    );
    assert_eq!(
        (everyone[0].store.as_str(), everyone[0].role),
        ("", Some(Role::HqAdmin))
    );
    let north = Audience {
        regions: vec!["north".into()],
        ..Audience::default()
    };
    assert_eq!(
        ids(&read::audience(&pool, "t", &north, "x").await.unwrap()),
        ["boss", "fresh"],
        "chain-wide roles only reach audiences naming no place"
    );
    let bakery = Audience {
        departments: vec!["bakery".into()],
        ..Audience::default()
    };
    assert_eq!(
        ids(&read::audience(&pool, "t", &bakery, "x").await.unwrap()),
        ["boss", "new"],
        "a whole-store membership counts in every department"
    );
    let employees_of_s2 = Audience {
        stores: vec!["s2".into()],
        roles: vec![Role::Employee],
        ..Audience::default()
    };
    assert_eq!(
        ids(&read::audience(&pool, "t", &employees_of_s2, "x")
            .await
            .unwrap()),
        ["boss", "new"]
    );
}

#[tokio::test]
async fn readers_come_in_the_order_asked_and_unknown_people_come_empty() {
    let (_env, pool) = seeded().await;
    let users = ["fresh".to_owned(), "nobody".to_owned(), "boss".to_owned()];
    let readers = read::readers(&pool, "t", &users).await.unwrap();
    assert_eq!(ids(&readers), ["fresh", "nobody", "boss"]);
    assert_eq!(
        (
            readers[1].store.as_str(),
            readers[1].role,
            readers[1].display_name.as_str()
        ),
        ("", None, "")
    );
    assert_eq!(readers[2].store, "s1");
}

#[tokio::test]
async fn stores_people_and_zones_read_as_the_directory_holds_them() {
    let (_env, pool) = seeded().await;
    let store = read::store_by_code(&pool, "t", "AMS-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.id, "s1");
    assert_eq!(
        store.departments,
        [
            ("bakery".to_owned(), "Bakery".to_owned()),
            ("fresh".to_owned(), "Fresh".to_owned())
        ]
    );
    assert!(
        read::store(&pool, "t", "s2")
            .await
            .unwrap()
            .unwrap()
            .departments
            .is_empty()
    );
    assert!(read::store(&pool, "t", "s9").await.unwrap().is_none());
    let by_code = read::store_ids_by_code(&pool, "t").await.unwrap();
    assert_eq!(by_code.get("LIS-2").map(String::as_str), Some("s2"));
    let stores = ["s1".to_owned(), "s9".to_owned()];
    assert_eq!(
        read::store_names(&pool, "t", &stores).await.unwrap().len(),
        1
    );
    assert_eq!(
        read::store_codes(&pool, "t", &stores).await.unwrap()["s1"],
        "ams-1"
    );

    let members = read::store_members(&pool, "t", "s1").await.unwrap();
    let fresh: Vec<(&str, UserState)> = members
        .iter()
        .filter(|m| m.covers("fresh"))
        .map(|m| (m.user.as_str(), m.state))
        .collect();
    assert_eq!(
        fresh,
        [
            ("boss", UserState::Active),
            ("fresh", UserState::Active),
            ("gone", UserState::Deactivated)
        ]
    );
    assert_eq!(members.iter().filter(|m| m.covers("bakery")).count(), 1);

    let users = [
        "boss".to_owned(),
        "gone".to_owned(),
        "them".to_owned(),
        "admin".to_owned(),
    ];
    assert_eq!(read::people(&pool, "t", &users).await.unwrap().len(), 2);
    assert_eq!(
        read::display_names(&pool, "t", &users).await.unwrap()["gone"],
        "Gus"
    );
    let emails = ["bo@example.com".to_owned(), "gus@example.com".to_owned()];
    let people = read::people_by_email(&pool, "t", &emails).await.unwrap();
    assert_eq!(people.len(), 1, "offboarded people are not found by e-mail");
    assert_eq!(people["bo@example.com"], "boss");
    let mut zones = read::time_zones(&pool, "t", &users).await.unwrap();
    zones.sort();
    assert_eq!(
        zones,
        [
            ("admin".to_owned(), "Europe/Amsterdam".to_owned()),
            ("boss".to_owned(), "Europe/Amsterdam".to_owned()),
            ("gone".to_owned(), "Europe/Amsterdam".to_owned()),
        ],
        "the first store's zone, else the chain's; another tenant's people are not found"
    );
    assert_eq!(
        read::tenant(&pool, "t").await.unwrap().unwrap().locale,
        "nl"
    );
    let user = read::user(&pool, "t", "new").await.unwrap().unwrap();
    assert_eq!(user.state, UserState::Invited);
    assert_eq!(
        read::memberships(&pool, "t", "boss").await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn the_inline_pieces_read_state_names_and_store_memberships_in_a_services_statement() {
    let (_env, pool) = seeded().await;
    let (state, name): (Option<String>, Option<String>) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {}, {}",
            read::inline::state_of("$1", "$2"),
            read::inline::display_name_of("$1", "$2")
        )))
        .bind("t")
        .bind("gone")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (state.as_deref(), name.as_deref()),
        (Some("deactivated"), Some("Gus"))
    );
    let places: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.store_id, m.department_id FROM {} m ORDER BY 1",
        read::inline::store_memberships_of("$1", "$2")
    )))
    .bind("t")
    .bind("boss")
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(places.len(), 2);
    let admin: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.store_id, m.department_id FROM {} m",
        read::inline::store_memberships_of("$1", "$2")
    )))
    .bind("t")
    .bind("admin")
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(admin.is_empty(), "chain-wide memberships are left out");
}
