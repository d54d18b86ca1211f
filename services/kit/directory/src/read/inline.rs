//! Directory facts as pieces of SQL for a service's own statement, where reading them
//! first would add a round trip to a hot path (feed's ListTimeline and ListGroupPosts).
//! Each takes the SQL expressions (parameters such as `"$1"`, or columns such as
//! `"p.author_id"`) naming the tenant and the person, and stays a self-contained
//! subquery: the service sees the columns documented here, never the tables.

/// A scalar subquery: the stored state (`invited`, `active`, `deactivated`; `NULL` when
/// unknown) of the person `user` of `tenant`, for `refuse_offboarded`.
pub fn state_of(tenant: &str, user: &str) -> String {
    format!(
        "(SELECT kd_u.state FROM kit_directory_users kd_u \
         WHERE kd_u.tenant = {tenant} AND kd_u.id = {user})"
    )
}

/// A scalar subquery: the display name of the person `user` of `tenant` (`NULL` when
/// unknown).
pub fn display_name_of(tenant: &str, user: &str) -> String {
    format!(
        "(SELECT kd_u.display_name FROM kit_directory_users kd_u \
         WHERE kd_u.tenant = {tenant} AND kd_u.id = {user})"
    )
}

/// A derived table (alias it): the store memberships of the person `user` of `tenant`,
/// chain-wide ones left out, with the columns `tenant`, `store_id` and `department_id`
/// (empty for the whole store); a person holding several roles in one place appears once
/// per role.
pub fn store_memberships_of(tenant: &str, user: &str) -> String {
    format!(
        "(SELECT kd_m.tenant, kd_m.store_id, kd_m.department_id FROM kit_directory_memberships kd_m \
         WHERE kd_m.tenant = {tenant} AND kd_m.user_id = {user} AND kd_m.store_id <> '')"
    )
}
