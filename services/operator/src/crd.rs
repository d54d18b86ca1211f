//! The `Tenant` custom resource (`tenants.breakroom.io/v1`): a chain, its stores and its
//! first HQ admins as a platform team declares them in Git.
//!
//! The CRD is generated from these types (`operator --print-crd`); the committed copy in
//! `charts/breakroom/crds/tenants.breakroom.io.yaml` is checked against them by a test.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A retail chain onboarded into Breakroom. Its identity tenant id is the resource's
/// `metadata.name` (3-40 of `[a-z0-9-]`, starting with a letter).
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "breakroom.io",
    version = "v1",
    kind = "Tenant",
    namespaced,
    status = "TenantStatus",
    shortname = "brt",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Stores","type":"integer","jsonPath":".status.storesCreated"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct TenantSpec {
    /// Human-readable name of the chain.
    pub display_name: String,
    /// IANA time zone (e.g. `Europe/Berlin`) of stores that name none.
    pub time_zone: String,
    /// Default locale of the chain as a BCP 47 tag (e.g. `de-DE`).
    pub locale: String,
    /// The chain's stores; created or updated, never removed by the operator.
    #[serde(default)]
    pub stores: Vec<StoreSpec>,
    /// The first head-office administrators, invited once each.
    #[serde(default)]
    pub hq_admins: Vec<HqAdmin>,
    /// What deleting this resource does to the chain's data: `Retain` (default) keeps
    /// everything; `Delete` closes the stores and deactivates the HQ admins it declared.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// One store of the chain.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreSpec {
    /// The chain's own code for the store, unique in the chain; identifies it.
    pub code: String,
    /// Human-readable name, e.g. `Berlin Alexanderplatz`.
    pub name: String,
    /// Region the store belongs to (free text); empty when the chain has none.
    #[serde(default)]
    pub region: String,
    /// IANA time zone of the store; the chain's when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// A head-office administrator to invite.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HqAdmin {
    /// Name shown to colleagues.
    pub display_name: String,
    /// E-mail address; identifies the admin in the chain.
    pub email: String,
}

/// What deleting the resource does.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Keep the chain's data (default).
    #[default]
    Retain,
    /// Close the declared stores and deactivate the declared HQ admins (identity keeps
    /// their history; it has no way to erase a tenant).
    Delete,
}

/// What the operator last saw and did.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`: `True` once the tenant, every store and every HQ admin exist in identity.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// How many of the declared stores exist in identity.
    #[serde(default)]
    pub stores_created: u32,
    /// The declared stores that exist, with their identity resource names.
    #[serde(default)]
    pub stores: Vec<StoreStatus>,
    /// Identity's last commit for this tenant as the operator saw it (`identity:<n>` as a
    /// number): the next pass reads with it, so it sees what the previous one wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_sequence: Option<u64>,
    /// The Secret holding invite codes of HQ admins invited by the operator (never the
    /// codes themselves: status is readable by anyone who can read the resource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_secret: Option<String>,
}

/// A store as identity knows it.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreStatus {
    /// The store code.
    pub code: String,
    /// Identity's resource name `tenants/{tenant}/stores/{store}`.
    pub name: String,
}

/// A status condition in the Kubernetes convention.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type, e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable CamelCase reason, e.g. `Reconciled`, `IdentityUnavailable`.
    pub reason: String,
    /// Human-readable details.
    #[serde(default)]
    pub message: String,
    /// RFC 3339 time the status last changed.
    pub last_transition_time: String,
    /// The generation the condition was set for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// The CRD as YAML, exactly as committed to the chart.
pub fn crd_yaml() -> Result<String, serde_saphyr::SerializeError> {
    use kube::CustomResourceExt;
    let yaml = serde_saphyr::to_string(&Tenant::crd())?;
    Ok(format!(
        "# Generated by `operator --print-crd` from services/operator/src/crd.rs; do not edit.\n{yaml}"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_committed_crd_is_the_one_generated_from_the_rust_types() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../charts/breakroom/crds/tenants.breakroom.io.yaml"
        );
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == crd_yaml().unwrap(),
            "{path} is stale: run `cargo run -p breakroom-operator --bin operator -- --print-crd > {path}`"
        );
    }

    #[test]
    fn the_crd_is_namespaced_and_reads_back_as_the_generated_definition() {
        use kube::CustomResourceExt;
        let yaml = crd_yaml().unwrap();
        let read: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
            serde_saphyr::from_str(&yaml).unwrap();

        assert_eq!(read, Tenant::crd());
        assert_eq!(read.metadata.name.as_deref(), Some("tenants.breakroom.io"));
        assert_eq!(read.spec.scope, "Namespaced");
    }
}
