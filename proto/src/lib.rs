//! Breakroom's protobuf APIs and events, generated at build time from `breakroom/**.proto`.
//!
//! One module per protobuf package (`breakroom.<service>.v1`). `FILE_DESCRIPTOR_SET` is the
//! encoded descriptor set of every package, served by gRPC reflection.

pub mod codec;

/// Encoded `FileDescriptorSet` of all Breakroom protos (for gRPC server reflection).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/breakroom_descriptor.bin"));

/// `breakroom.kit.*`: the event envelope and the kit's reference service.
pub mod kit {
    /// `breakroom.kit.v1`: the commit envelope every event travels in.
    pub mod v1 {
        tonic::include_proto!("breakroom.kit.v1");
    }
    /// `breakroom.kit.testing.v1`: the counter service the kit's tests and benchmark drive.
    pub mod testing {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("breakroom.kit.testing.v1");
        }
    }
}

/// `breakroom.identity.v1`: tenants, stores, users, roles, login and tokens; and the
/// identity events other services project.
pub mod identity {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("breakroom.identity.v1");
    }
}

/// Scheduling: rosters, shifts, open shifts, swaps, time off, imports, calendar feeds
/// and their events.
pub mod scheduling {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("breakroom.scheduling.v1");
    }
}

/// `breakroom.feed.v1`: groups, posts, announcements with acknowledgements, comments,
/// reactions, read state; and the feed events notifications routes.
pub mod feed {
    /// Version 1.
    // `TimelineItem.item` holds a post or a (smaller) card; boxing generated oneofs would
    // change every service's build, so the lint is allowed here.
    #[allow(clippy::large_enum_variant)]
    pub mod v1 {
        tonic::include_proto!("breakroom.feed.v1");
    }
}

/// `breakroom.notifications.v1`: devices, preferences, the inbox and pushes; and the
/// notifications service's own events.
pub mod notifications {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("breakroom.notifications.v1");
    }
}
