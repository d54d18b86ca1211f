//! The descriptors of every message a Breakroom server knows (its own packages, health
//! and reflection), loaded once: the text layer checks requests with them, and an event's
//! type name is read from them.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, DynamicMessage, Kind};

/// The pool, decoded on first use.
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut pool = DescriptorPool::new();
        for set in [
            breakroom_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ] {
            if let Err(e) = pool.decode_file_descriptor_set(set) {
                // The sets are compiled in; a failure is a build mistake, seen in every test.
                tracing::error!(error = %e, "descriptor set not loaded");
            }
        }
        pool
    })
}

/// The type name of an event (`breakroom.identity.v1.UserInvited`): the full name of the
/// message its oneof holds, or the event message's own name when the oneof is empty.
pub fn event_type<E: prost::Message + prost::Name>(event: &E) -> String {
    let own = E::full_name();
    let Some(descriptor) = pool().get_message_by_name(&own) else {
        return own;
    };
    let Ok(message) = DynamicMessage::decode(descriptor.clone(), event.encode_to_vec().as_slice())
    else {
        return own;
    };
    descriptor
        .oneofs()
        .flat_map(|oneof| oneof.fields().collect::<Vec<_>>())
        .find(|field| message.has_field(field))
        .and_then(|field| match field.kind() {
            Kind::Message(inner) => Some(inner.full_name().to_owned()),
            _ => None,
        })
        .unwrap_or(own)
}

#[cfg(test)]
mod tests {
    use breakroom_proto::identity::v1 as pb;

    use super::*;

    #[test]
    fn an_events_type_is_the_message_its_oneof_holds() {
        let invited = pb::UserEvent {
            event: Some(pb::user_event::Event::Invited(pb::UserInvited::default())),
        };
        assert_eq!(event_type(&invited), "breakroom.identity.v1.UserInvited");
        assert_eq!(
            event_type(&pb::UserEvent::default()),
            "breakroom.identity.v1.UserEvent"
        );
    }
}
